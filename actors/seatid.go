package actors

import (
	"fmt"
	"strconv"
	"strings"
)

// MaxRowLabelLen bounds a row label; seat ids are "<row label>-<number>".
const MaxRowLabelLen = 8

// ParseSeatID splits a seat id such as "AA-12" into its row label and number.
// Row labels are letters and digits; numbers start at 1 and have no leading zero.
func ParseSeatID(id string) (row string, number int, err error) {
	i := strings.LastIndexByte(id, '-')
	if i <= 0 || i == len(id)-1 {
		return "", 0, fmt.Errorf("seat id %q: want <row>-<number>", id)
	}
	row, num := id[:i], id[i+1:]
	if !ValidRowLabel(row) {
		return "", 0, fmt.Errorf("seat id %q: row label must be 1-%d letters or digits", id, MaxRowLabelLen)
	}
	if len(num) > 5 || num[0] == '0' {
		return "", 0, fmt.Errorf("seat id %q: bad seat number", id)
	}
	for _, c := range []byte(num) {
		if c < '0' || c > '9' {
			return "", 0, fmt.Errorf("seat id %q: bad seat number", id)
		}
	}
	n, err := strconv.Atoi(num)
	if err != nil || n < 1 {
		return "", 0, fmt.Errorf("seat id %q: bad seat number", id)
	}
	return row, n, nil
}

// ValidRowLabel reports whether s can label a row.
func ValidRowLabel(s string) bool {
	if len(s) == 0 || len(s) > MaxRowLabelLen {
		return false
	}
	for _, c := range []byte(s) {
		if !(c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || c >= '0' && c <= '9') {
			return false
		}
	}
	return true
}

// SeatID joins a row label and a seat number.
func SeatID(row string, number int) string { return row + "-" + strconv.Itoa(number) }

// RowLabel names the row at index i (from 0) the way venues do: A … Z, then AA, AB, …,
// AZ, BA, … ZZ, AAA.
func RowLabel(i int) string {
	var b []byte
	for n := i + 1; n > 0; n = (n - 1) / 26 {
		b = append([]byte{byte('A' + (n-1)%26)}, b...)
	}
	return string(b)
}
