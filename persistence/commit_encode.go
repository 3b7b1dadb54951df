package persistence

import (
	"encoding/binary"
	"fmt"
	"math"
	"slices"
	"time"
	"unicode/utf8"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgtype"
)

// A group commit sends its rows as whole columns, one array parameter each (see
// commitBatch). Left to pgx, every array is encoded element by element into a buffer
// that pgx grows from 256 bytes for each statement and drops afterwards, through new
// slices of the batch's values made for it: several times the bytes the batch sends.
// The commit writes its arrays itself instead, in PostgreSQL's binary array format (the
// bytes pgx would send), into one buffer kept from commit to commit (commitEncoder),
// and hands them to pgx as *encodedArray values, which pgx copies as they are.

// encodedArray is a one-dimensional array parameter already in PostgreSQL's binary
// format. The pool's connections encode it through encodedArrayCodec (registered by
// Open). The first one of a statement's parameters carries reserve: pgx's parameter
// buffer is made that much larger once, before it is copied, so that the statement's
// parameters are copied into it without growing it again.
type encodedArray struct {
	oid     uint32 // the array type's OID: the parameter's type must be the same
	b       []byte
	reserve int
}

// encodedArrayOIDs are the array types the commit writes itself.
var encodedArrayOIDs = []uint32{pgtype.TextArrayOID, pgtype.ByteaArrayOID, pgtype.Int4ArrayOID, pgtype.Int8ArrayOID,
	pgtype.TimestamptzArrayOID}

// registerEncodedArrays makes m encode *encodedArray parameters of the array types the
// commit writes; any other value of those types is encoded by pgx's own codec as before.
func registerEncodedArrays(m *pgtype.Map) {
	for _, oid := range encodedArrayOIDs {
		t, ok := m.TypeForOID(oid)
		if !ok {
			continue
		}
		if _, done := t.Codec.(encodedArrayCodec); done {
			continue
		}
		m.RegisterType(&pgtype.Type{Name: t.Name, OID: oid, Codec: encodedArrayCodec{Codec: t.Codec}})
	}
}

// encodedArrayCodec is an array type's pgx codec that also takes *encodedArray values.
type encodedArrayCodec struct{ pgtype.Codec }

func (c encodedArrayCodec) PlanEncode(m *pgtype.Map, oid uint32, format int16, value any) pgtype.EncodePlan {
	if _, ok := value.(*encodedArray); ok {
		if format != pgtype.BinaryFormatCode {
			return nil
		}
		return encodedArrayPlan{oid: oid}
	}
	return c.Codec.PlanEncode(m, oid, format, value)
}

type encodedArrayPlan struct{ oid uint32 }

func (p encodedArrayPlan) Encode(value any, buf []byte) ([]byte, error) {
	a := value.(*encodedArray)
	if a.oid != p.oid {
		return nil, fmt.Errorf("array of type %d encoded for a parameter of type %d", a.oid, p.oid)
	}
	if a.reserve > cap(buf)-len(buf) {
		buf = slices.Grow(buf, a.reserve)
	}
	return append(buf, a.b...), nil
}

// commitEncoder holds one commit's encoded arrays and arguments; they are kept, with
// their room, for a later commit (commitEncoders) once the batch is answered.
type commitEncoder struct {
	buf    []byte
	arrays []encodedArray
	args   []any
	ids    map[string]int    // scratch for lastByID
	keyIDs map[[2]string]int // scratch for firstByID: (user, key)
}

// commitEncoders keeps the encoders of finished commits for the next ones: as many as
// commits of different sections run at once, up to its capacity. Unlike a sync.Pool, it
// is not emptied by every collection, which would have each batch grow its buffer anew.
var commitEncoders = make(chan *commitEncoder, 16)

// maxKeptEncoderBytes bounds the buffer a commitEncoder keeps for the next commit; one
// of an unusually large batch is left to the collector.
const maxKeptEncoderBytes = 4 << 20

func getCommitEncoder() *commitEncoder {
	select {
	case e := <-commitEncoders:
		return e
	default:
		return &commitEncoder{ids: make(map[string]int), keyIDs: make(map[[2]string]int)}
	}
}

// release hands e back for another commit: the batch that used it must be done (pgx
// reads the arguments until its results are read).
func (e *commitEncoder) release() {
	if cap(e.buf) > maxKeptEncoderBytes {
		return
	}
	clear(e.args)
	clear(e.ids)
	clear(e.keyIDs)
	e.buf, e.arrays, e.args = e.buf[:0], e.arrays[:0], e.args[:0]
	select {
	case commitEncoders <- e:
	default: // enough are kept
	}
}

// queue queues sql with args on pb (see params).
func (e *commitEncoder) queue(pb *pgx.Batch, sql string, args ...any) *pgx.QueuedQuery {
	return pb.Queue(sql, e.params(args...)...)
}

// params keeps args, one statement's arguments, with the encoder until it is released
// (pgx reads them until the statement's results are read) and returns them: the first
// *encodedArray among them reserves room for all of them in pgx's parameter buffer.
func (e *commitEncoder) params(args ...any) []any {
	n := len(e.args)
	e.args = append(e.args, args...)
	stored := e.args[n:len(e.args):len(e.args)]
	var first *encodedArray
	total := 0
	for _, a := range stored {
		if ea, ok := a.(*encodedArray); ok {
			if first == nil {
				first = ea
			}
			total += len(ea.b)
		}
	}
	if first != nil {
		first.reserve = total + 256 // and the statement's other, small parameters
	}
	return stored
}

// The binary array format: dimensions, a has-nulls flag, the element type, then per
// dimension its length and lower bound (20 bytes for one dimension); then each element
// as its length (-1 for NULL) and bytes.

// begin starts an array of elemOID; end finishes it.
func (e *commitEncoder) begin(elemOID uint32) int {
	start := len(e.buf)
	e.buf = binary.BigEndian.AppendUint32(e.buf, 1)
	e.buf = binary.BigEndian.AppendUint32(e.buf, 0)
	e.buf = binary.BigEndian.AppendUint32(e.buf, elemOID)
	e.buf = binary.BigEndian.AppendUint32(e.buf, 0) // the length, set by end
	e.buf = binary.BigEndian.AppendUint32(e.buf, 1)
	return start
}

// end finishes the array begun at start with n elements, hasNull when one is NULL.
func (e *commitEncoder) end(start, n int, arrayOID uint32, hasNull bool) *encodedArray {
	if n == 0 { // no dimensions, as PostgreSQL writes an empty array
		e.buf = e.buf[:start+12]
		binary.BigEndian.PutUint32(e.buf[start:], 0)
	} else {
		if hasNull {
			binary.BigEndian.PutUint32(e.buf[start+4:], 1)
		}
		binary.BigEndian.PutUint32(e.buf[start+12:], uint32(n))
	}
	e.arrays = append(e.arrays, encodedArray{oid: arrayOID, b: e.buf[start:len(e.buf):len(e.buf)]})
	return &e.arrays[len(e.arrays)-1]
}

func (e *commitEncoder) text(s string) {
	e.buf = binary.BigEndian.AppendUint32(e.buf, uint32(len(s)))
	e.buf = append(e.buf, s...)
}

func (e *commitEncoder) bytea(b []byte) {
	e.buf = binary.BigEndian.AppendUint32(e.buf, uint32(len(b)))
	e.buf = append(e.buf, b...)
}

func (e *commitEncoder) int8(v int64) {
	e.buf = binary.BigEndian.AppendUint32(e.buf, 8)
	e.buf = binary.BigEndian.AppendUint64(e.buf, uint64(v))
}

func (e *commitEncoder) int4(v int) error {
	if v < math.MinInt32 || v > math.MaxInt32 {
		return fmt.Errorf("%d is out of range for int4", v)
	}
	e.buf = binary.BigEndian.AppendUint32(e.buf, 4)
	e.buf = binary.BigEndian.AppendUint32(e.buf, uint32(int32(v)))
	return nil
}

// microsecFromUnixEpochToY2K is PostgreSQL's epoch (2000-01-01 UTC) in microseconds
// since the Unix epoch.
const microsecFromUnixEpochToY2K = 946684800 * 1000000

// timestamptz writes t as PostgreSQL keeps it, microseconds since 2000 (the finer part
// cut off, as pgx does).
func (e *commitEncoder) timestamptz(t time.Time) {
	e.buf = binary.BigEndian.AppendUint32(e.buf, 8)
	us := t.Unix()*1000000 + int64(t.Nanosecond())/1000
	e.buf = binary.BigEndian.AppendUint64(e.buf, uint64(us-microsecFromUnixEpochToY2K))
}

func (e *commitEncoder) null() { e.buf = binary.BigEndian.AppendUint32(e.buf, math.MaxUint32) }

// openElem starts an element whose bytes are appended next; closeElem sets its length.
func (e *commitEncoder) openElem() int {
	e.buf = binary.BigEndian.AppendUint32(e.buf, 0)
	return len(e.buf)
}

func (e *commitEncoder) closeElem(at int) {
	binary.BigEndian.PutUint32(e.buf[at-4:], uint32(len(e.buf)-at))
}

// joined writes strs joined by sep as one text element.
func (e *commitEncoder) joined(strs []string, sep byte) {
	at := e.openElem()
	for i, s := range strs {
		if i > 0 {
			e.buf = append(e.buf, sep)
		}
		e.buf = append(e.buf, s...)
	}
	e.closeElem(at)
}

// jsonList writes strs as one text element holding a JSON array of strings, which reads
// back as the same strings that encoding/json's encoding of strs reads back as.
func (e *commitEncoder) jsonList(strs []string) {
	at := e.openElem()
	e.buf = append(e.buf, '[')
	for i, s := range strs {
		if i > 0 {
			e.buf = append(e.buf, ',')
		}
		e.buf = appendJSONString(e.buf, s)
	}
	e.buf = append(e.buf, ']')
	e.closeElem(at)
}

const hexDigits = "0123456789abcdef"

// appendJSONString appends s as a JSON string: quotes, backslashes and control
// characters escaped, invalid UTF-8 replaced by U+FFFD (as encoding/json does).
func appendJSONString(buf []byte, s string) []byte {
	buf = append(buf, '"')
	start := 0
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if c >= 0x20 && c != '"' && c != '\\' {
				i++
				continue
			}
			buf = append(buf, s[start:i]...)
			switch c {
			case '"', '\\':
				buf = append(buf, '\\', c)
			default:
				buf = append(buf, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xf])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			buf = append(buf, s[start:i]...)
			buf = append(buf, `\ufffd`...)
			i += size
			start = i
			continue
		}
		i += size
	}
	buf = append(buf, s[start:]...)
	return append(buf, '"')
}

// texts, bytesColumn, int8s, int4s and times write one column of rows as an array.

func texts[T any](e *commitEncoder, rows []T, f func(*T) string) *encodedArray {
	start := e.begin(pgtype.TextOID)
	for i := range rows {
		e.text(f(&rows[i]))
	}
	return e.end(start, len(rows), pgtype.TextArrayOID, false)
}

func bytesColumn[T any](e *commitEncoder, rows []T, f func(*T) []byte) *encodedArray {
	start := e.begin(pgtype.ByteaOID)
	for i := range rows {
		e.bytea(f(&rows[i]))
	}
	return e.end(start, len(rows), pgtype.ByteaArrayOID, false)
}

func int8s[T any](e *commitEncoder, rows []T, f func(*T) int64) *encodedArray {
	start := e.begin(pgtype.Int8OID)
	for i := range rows {
		e.int8(f(&rows[i]))
	}
	return e.end(start, len(rows), pgtype.Int8ArrayOID, false)
}

func int4s[T any](e *commitEncoder, rows []T, f func(*T) int) (*encodedArray, error) {
	start := e.begin(pgtype.Int4OID)
	for i := range rows {
		if err := e.int4(f(&rows[i])); err != nil {
			return nil, err
		}
	}
	return e.end(start, len(rows), pgtype.Int4ArrayOID, false), nil
}

// times writes a timestamptz column; a zero time is NULL when zeroIsNull, and written
// as the zero time otherwise (as pgx writes a time.Time).
func times[T any](e *commitEncoder, rows []T, zeroIsNull bool, f func(*T) time.Time) *encodedArray {
	start := e.begin(pgtype.TimestamptzOID)
	hasNull := false
	for i := range rows {
		t := f(&rows[i])
		if zeroIsNull && t.IsZero() {
			e.null()
			hasNull = true
			continue
		}
		e.timestamptz(t)
	}
	return e.end(start, len(rows), pgtype.TimestamptzArrayOID, hasNull)
}

// seatLists writes a column of seat lists as a text array, each list one JSON array
// (see jsonList).
func seatLists[T any](e *commitEncoder, rows []T, f func(*T) []string) *encodedArray {
	start := e.begin(pgtype.TextOID)
	for i := range rows {
		e.jsonList(f(&rows[i]))
	}
	return e.end(start, len(rows), pgtype.TextArrayOID, false)
}

// strs writes a []string as a text array.
func (e *commitEncoder) strs(ss []string) *encodedArray {
	return texts(e, ss, func(s *string) string { return *s })
}
