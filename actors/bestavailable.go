package actors

// BestAvailable picks qty seats for a best-available request. seats must be ordered by
// row, then number (as a Snapshot's are); a seat is free when its status is available.
//
// The rules, in order:
//  1. Accessible seats are offered only when accessibleOnly is set, and then only they are.
//  2. Adjacent seats in one row when possible.
//  3. Never leave a single empty seat between two taken ones when another adjacent choice
//     exists; prefer not to strand a lone seat at a row end either.
//  4. Among the rest: front rows first, then closest to the row's centre.
//
// When no row has qty adjacent free seats, it takes the best-placed free seats, whole
// runs first, so the party is split as little as possible. ok is false when fewer than
// qty eligible seats are free.
func BestAvailable(seats []Seat, qty int, accessibleOnly bool) (ids []string, ok bool) {
	if qty <= 0 {
		return nil, false
	}
	eligible := func(s *Seat) bool {
		return s.Status == SeatAvailable && s.Accessible == accessibleOnly
	}
	best := candidate{score: -1}
	total := 0
	for start := 0; start < len(seats); {
		end := start
		for end < len(seats) && seats[end].RowIndex == seats[start].RowIndex {
			end++
		}
		row := seats[start:end]
		total += scanRow(row, qty, eligible, &best, start)
		start = end
	}
	if total < qty {
		return nil, false
	}
	if best.score >= 0 {
		ids = make([]string, 0, qty)
		for i := best.at; i < best.at+qty; i++ {
			ids = append(ids, seats[i].ID)
		}
		return ids, true
	}
	return splitParty(seats, qty, eligible), true
}

// candidate is a block of adjacent seats starting at index at; lower score is better.
type candidate struct {
	at    int
	score int
}

// Penalties, large enough to dominate position within a venue of 10,000-seat rows.
const (
	penaltyInnerSingle = 1 << 40 // a lone seat between two taken ones
	penaltyEdgeSingle  = 1 << 30 // a lone seat at a row end
	rowWeight          = 1 << 16
)

// scanRow looks at one row's runs of adjacent eligible seats, updates best with any
// better block of qty seats, and returns how many eligible seats the row has.
func scanRow(row []Seat, qty int, eligible func(*Seat) bool, best *candidate, offset int) int {
	free := 0
	n := len(row)
	centre2 := row[0].Number + row[n-1].Number // twice the centre, in seat numbers
	for i := 0; i < n; {
		if !eligible(&row[i]) {
			i++
			continue
		}
		j := i + 1
		for j < n && eligible(&row[j]) && row[j].Number == row[j-1].Number+1 {
			j++
		}
		runLen := j - i
		free += runLen
		// Edges of the run: a row end, or a neighbour that is taken or not eligible.
		leftIsRowEnd := i == 0 || row[i-1].Number != row[i].Number-1
		rightIsRowEnd := j == n || row[j].Number != row[j-1].Number+1
		for o := 0; o+qty <= runLen; o++ {
			score := row[i].RowIndex * rowWeight
			blockCentre2 := row[i+o].Number + row[i+o+qty-1].Number
			d := blockCentre2 - centre2
			if d < 0 {
				d = -d
			}
			score += d
			score += gapPenalty(o, leftIsRowEnd) + gapPenalty(runLen-o-qty, rightIsRowEnd)
			if best.score < 0 || score < best.score {
				*best = candidate{at: offset + i + o, score: score}
			}
		}
		i = j
	}
	return free
}

func gapPenalty(gap int, atRowEnd bool) int {
	if gap != 1 {
		return 0
	}
	if atRowEnd {
		return penaltyEdgeSingle
	}
	return penaltyInnerSingle
}

// splitParty takes qty eligible seats when no row has them side by side: longest runs
// first, then front rows, so the party sits in as few groups as possible.
func splitParty(seats []Seat, qty int, eligible func(*Seat) bool) []string {
	type run struct{ from, to int }
	var runs []run
	for i := 0; i < len(seats); {
		if !eligible(&seats[i]) {
			i++
			continue
		}
		j := i + 1
		for j < len(seats) && eligible(&seats[j]) && seats[j].RowIndex == seats[i].RowIndex && seats[j].Number == seats[j-1].Number+1 {
			j++
		}
		runs = append(runs, run{i, j})
		i = j
	}
	// Stable selection: repeatedly take the longest remaining run (earliest on ties).
	ids := make([]string, 0, qty)
	used := make([]bool, len(runs))
	for len(ids) < qty {
		bi := -1
		for k, r := range runs {
			if used[k] {
				continue
			}
			if bi < 0 || r.to-r.from > runs[bi].to-runs[bi].from {
				bi = k
			}
		}
		used[bi] = true
		for i := runs[bi].from; i < runs[bi].to && len(ids) < qty; i++ {
			ids = append(ids, seats[i].ID)
		}
	}
	return ids
}
