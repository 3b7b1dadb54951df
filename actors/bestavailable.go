package actors

import (
	"container/heap"
	"slices"
)

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
	eligible := eligibleFor(accessibleOnly)
	best := candidate{score: -1}
	total := scanBlocks(seats, qty, eligible, func(c candidate) {
		if best.score < 0 || c.score < best.score {
			best = c
		}
	})
	if total < qty {
		return nil, false
	}
	if best.score >= 0 {
		return blockIDs(seats, best.at, qty), true
	}
	return splitParty(seats, qty, eligible), true
}

// BestAvailableCandidates ranks up to k choices for a best-available request by the
// rules of BestAvailable, best first: its first candidate is what BestAvailable picks.
// The others are the next-best blocks of qty adjacent seats (they may overlap), for a
// caller that must skip choices taken concurrently by others. When no row has qty
// adjacent free seats, the only candidate is BestAvailable's split party. It returns nil
// when fewer than qty eligible seats are free, or when qty or k is not positive.
func BestAvailableCandidates(seats []Seat, qty int, accessibleOnly bool, k int) [][]string {
	if qty <= 0 || k <= 0 {
		return nil
	}
	eligible := eligibleFor(accessibleOnly)
	top := make(worstFirst, 0, k)
	total := scanBlocks(seats, qty, eligible, func(c candidate) {
		switch {
		case len(top) < k:
			heap.Push(&top, c)
		case c.better(top[0]):
			top[0] = c
			heap.Fix(&top, 0)
		}
	})
	if total < qty {
		return nil
	}
	if len(top) == 0 {
		return [][]string{splitParty(seats, qty, eligible)}
	}
	slices.SortFunc(top, func(a, b candidate) int {
		if a.better(b) {
			return -1
		}
		return 1
	})
	out := make([][]string, len(top))
	for i, c := range top {
		out[i] = blockIDs(seats, c.at, qty)
	}
	return out
}

// eligibleFor is rule 1: which free seats a request may be offered.
func eligibleFor(accessibleOnly bool) func(*Seat) bool {
	return func(s *Seat) bool {
		return s.Status == SeatAvailable && s.Accessible == accessibleOnly
	}
}

// blockIDs are the ids of the qty seats from index at.
func blockIDs(seats []Seat, at, qty int) []string {
	ids := make([]string, 0, qty)
	for i := at; i < at+qty; i++ {
		ids = append(ids, seats[i].ID)
	}
	return ids
}

// candidate is a block of adjacent seats starting at index at; lower score is better.
type candidate struct {
	at    int
	score int
}

// better orders candidates: lower score first, then the earlier block (the one
// BestAvailable keeps on a tie).
func (c candidate) better(o candidate) bool {
	if c.score != o.score {
		return c.score < o.score
	}
	return c.at < o.at
}

// worstFirst is a heap of candidates whose root is the worst one, to keep the best k.
type worstFirst []candidate

func (h worstFirst) Len() int           { return len(h) }
func (h worstFirst) Less(i, j int) bool { return h[j].better(h[i]) }
func (h worstFirst) Swap(i, j int)      { h[i], h[j] = h[j], h[i] }
func (h *worstFirst) Push(x any)        { *h = append(*h, x.(candidate)) }
func (h *worstFirst) Pop() any {
	old := *h
	c := old[len(old)-1]
	*h = old[:len(old)-1]
	return c
}

// Penalties, large enough to dominate position within a venue of 10,000-seat rows.
const (
	penaltyInnerSingle = 1 << 40 // a lone seat between two taken ones
	penaltyEdgeSingle  = 1 << 30 // a lone seat at a row end
	rowWeight          = 1 << 16
)

// scanBlocks calls visit with every block of qty adjacent eligible seats in seats, in
// seat order, scored by rules 3 and 4, and returns how many eligible seats there are.
func scanBlocks(seats []Seat, qty int, eligible func(*Seat) bool, visit func(candidate)) int {
	total := 0
	for start := 0; start < len(seats); {
		end := start
		for end < len(seats) && seats[end].RowIndex == seats[start].RowIndex {
			end++
		}
		total += scanRow(seats[start:end], qty, eligible, visit, start)
		start = end
	}
	return total
}

// scanRow looks at one row's runs of adjacent eligible seats, calls visit with every
// block of qty seats in them, and returns how many eligible seats the row has.
func scanRow(row []Seat, qty int, eligible func(*Seat) bool, visit func(candidate), offset int) int {
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
			visit(candidate{at: offset + i + o, score: score})
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
