package actors

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"strings"
	"testing"
)

// TestRequestHashesStayTheSame: the hashes are stored with every idempotency key, so a
// request must hash as it did when its key was stored.
func TestRequestHashesStayTheSame(t *testing.T) {
	cases := []struct {
		got  []byte
		want string
	}{
		{HoldRequest{EventID: "ev_1", SectionID: "S1", Seats: []string{"B-2", "A-1"}, Quantity: 2, Accessible: true}.Hash(),
			"379f91c7e01ffcb1ab05bc59d5b04ea20e4930154eb572586ca8b7b5493cac28"},
		{ConfirmRequest{HoldID: "hold_1", PaymentToken: "tok_ok"}.Hash(),
			"4f3d3156d6997cd385226768b48f77d733803add30c8b73bb67a1465c0b9851c"},
	}
	for i, c := range cases {
		if got := hex.EncodeToString(c.got); got != c.want {
			t.Errorf("hash %d = %s, want %s", i, got, c.want)
		}
	}
}

// TestHashPartsIsTheStreamedHash compares hashParts with the hash written part by
// part, for parts short and longer than its stack buffer.
func TestHashPartsIsTheStreamedHash(t *testing.T) {
	long := strings.Repeat("A-1,", 100)
	for _, parts := range [][]string{{}, {""}, {"release", "hold_1"}, {"hold", "ev", "S", long, "0", "1"}} {
		h := sha256.New()
		var n [8]byte
		for _, p := range parts {
			binary.BigEndian.PutUint64(n[:], uint64(len(p)))
			h.Write(n[:])
			h.Write([]byte(p))
		}
		if got, want := hashParts(parts...), h.Sum(nil); !bytes.Equal(got, want) {
			t.Errorf("hashParts(%d parts) = %x, want %x", len(parts), got, want)
		}
	}
}
