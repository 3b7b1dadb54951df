package persistence

import (
	"context"
	"encoding/json"
	"math"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgtype"
)

// The commit's own array encoding must write what pgx's encoding of the same values
// writes: each case sends both to PostgreSQL and compares what it reads, exactly and as
// text.

func TestEncodedArraysRoundTrip(t *testing.T) {
	pool := testPool(t)
	ctx := context.Background()
	e := getCommitEncoder()
	defer e.release()

	same := func(t *testing.T, cast string, ours *encodedArray, plain any) {
		t.Helper()
		var equal bool
		var a, b string
		err := pool.QueryRow(ctx, `SELECT $1::`+cast+` IS NOT DISTINCT FROM $2::`+cast+`, $1::`+cast+`::text, $2::`+cast+`::text`,
			ours, plain).Scan(&equal, &a, &b)
		if err != nil {
			t.Fatalf("%s: %v", cast, err)
		}
		if !equal || a != b {
			t.Fatalf("%s: ours %s, pgx's %s", cast, a, b)
		}
	}

	texts := []string{"", "a", "A-12", "with,comma", `quote"s`, `back\slash`, "ünïcödé ✓", "{braces}", "NULL", " spaced "}
	t.Run("text", func(t *testing.T) {
		same(t, "text[]", e.strs(texts), texts)
		same(t, "text[]", e.strs(nil), []string{})
	})

	t.Run("bytea", func(t *testing.T) {
		long := make([]byte, 3000)
		for i := range long {
			long[i] = byte(i * 7)
		}
		values := [][]byte{{}, {0}, {0xff, 0x00, 0x5c, '"'}, long}
		same(t, "bytea[]", bytesColumn(e, values, func(b *[]byte) []byte { return *b }), values)
		// nil is written empty, as bytesOrEmpty made it for pgx
		same(t, "bytea[]", bytesColumn(e, [][]byte{nil}, func(b *[]byte) []byte { return *b }), [][]byte{{}})
	})

	t.Run("int8", func(t *testing.T) {
		values := []int64{0, -1, 1, 42, math.MaxInt64, math.MinInt64}
		same(t, "bigint[]", int8s(e, values, func(v *int64) int64 { return *v }), values)
	})

	t.Run("int4", func(t *testing.T) {
		values := []int{0, -1, 1, 7, math.MaxInt32, math.MinInt32}
		ours, err := int4s(e, values, func(v *int) int { return *v })
		if err != nil {
			t.Fatal(err)
		}
		same(t, "int[]", ours, values)
		if _, err := int4s(e, []int{math.MaxInt32 + 1}, func(v *int) int { return *v }); err == nil {
			t.Fatal("an int past int4 was encoded")
		}
	})

	t.Run("timestamptz", func(t *testing.T) {
		paris, err := time.LoadLocation("Europe/Paris")
		if err != nil {
			paris = time.FixedZone("plus2", 2*3600)
		}
		values := []time.Time{
			time.Date(2026, 12, 6, 22, 30, 1, 123456789, time.UTC),
			time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC),
			time.Date(1999, 12, 31, 23, 59, 59, 999999999, time.UTC),
			time.Date(1969, 7, 20, 20, 17, 40, 500, time.UTC),
			time.Date(2026, 6, 1, 12, 0, 0, 999, paris),
			{}, // the zero time, written as such
		}
		same(t, "timestamptz[]", times(e, values, false, func(v *time.Time) time.Time { return *v }), values)

		// with zeroIsNull, a zero time is NULL
		plain := make([]pgtype.Timestamptz, len(values))
		for i, v := range values {
			plain[i] = pgtype.Timestamptz{Time: v, Valid: !v.IsZero()}
		}
		same(t, "timestamptz[]", times(e, values, true, func(v *time.Time) time.Time { return *v }), plain)
	})

	t.Run("seat lists", func(t *testing.T) {
		lists := [][]string{{}, {"A-1"}, {"A-1", "A-2", "B-10"}, {`a"b`, `c\d`, "\x01ctl\n", "<&>", "ü\u2028"}}
		start := e.begin(pgtype.TextOID)
		for _, l := range lists {
			e.jsonList(l)
		}
		ours := e.end(start, len(lists), pgtype.TextArrayOID, false)
		plain := make([]string, len(lists))
		for i, l := range lists {
			raw, err := json.Marshal(l)
			if err != nil {
				t.Fatal(err)
			}
			plain[i] = string(raw)
		}
		// read back as the holds and orders statements read them
		const seats = `ARRAY(SELECT ARRAY(SELECT e.v FROM jsonb_array_elements_text(l::jsonb) WITH ORDINALITY AS e(v, n) ORDER BY e.n)::text FROM unnest(%s::text[]) AS l)`
		var a, b []string
		if err := pool.QueryRow(ctx, `SELECT `+strings.Replace(seats, "%s", "$1", 1)+`, `+strings.Replace(seats, "%s", "$2", 1), ours, plain).
			Scan(&a, &b); err != nil {
			t.Fatal(err)
		}
		if strings.Join(a, "|") != strings.Join(b, "|") {
			t.Fatalf("seat lists: ours %q, encoding/json's %q", a, b)
		}

		start = e.begin(pgtype.TextOID)
		for _, l := range lists {
			e.joined(l, ',')
		}
		joined := make([]string, len(lists))
		for i, l := range lists {
			joined[i] = strings.Join(l, ",")
		}
		same(t, "text[]", e.end(start, len(lists), pgtype.TextArrayOID, false), joined)
	})

	t.Run("type mismatch", func(t *testing.T) {
		var ok bool
		err := pool.QueryRow(ctx, `SELECT $1::bigint[] IS NOT NULL`, e.strs(texts)).Scan(&ok)
		if err == nil {
			t.Fatal("a text array was sent as a bigint array")
		}
	})
}

// TestAppendJSONString checks the seat lists' JSON strings against encoding/json: both
// decode to the same string, invalid UTF-8 included.
func TestAppendJSONString(t *testing.T) {
	for _, s := range []string{"", "A-1", `"`, `\`, "\x00\x1f\x7f", "tab\tnew\nline", "<&>", "ü✓\u2028\u2029", "\xff\xfe bad", "a\xc3"} {
		ours := appendJSONString(nil, s)
		var got, want string
		if err := json.Unmarshal(ours, &got); err != nil {
			t.Fatalf("%q: ours %s is not JSON: %v", s, ours, err)
		}
		theirs, _ := json.Marshal(s)
		if err := json.Unmarshal(theirs, &want); err != nil {
			t.Fatal(err)
		}
		if got != want {
			t.Fatalf("%q: ours reads back %q, encoding/json's %q", s, got, want)
		}
	}
}
