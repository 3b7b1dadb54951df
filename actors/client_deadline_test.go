package actors

import (
	"testing"
	"time"

	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"
)

// filled returns m with every field set to a value other than its zero, by reflection,
// so that a field added to a command later is covered too.
func filled(t *testing.T, m proto.Message) proto.Message {
	t.Helper()
	r := m.ProtoReflect()
	fields := r.Descriptor().Fields()
	for i := 0; i < fields.Len(); i++ {
		f := fields.Get(i)
		var v protoreflect.Value
		switch f.Kind() {
		case protoreflect.StringKind:
			v = protoreflect.ValueOfString("s-" + string(f.Name()))
		case protoreflect.BytesKind:
			v = protoreflect.ValueOfBytes([]byte("b-" + string(f.Name())))
		case protoreflect.BoolKind:
			v = protoreflect.ValueOfBool(true)
		case protoreflect.Int32Kind:
			v = protoreflect.ValueOfInt32(int32(i + 3))
		case protoreflect.Int64Kind:
			v = protoreflect.ValueOfInt64(int64(i + 1000))
		default:
			t.Fatalf("%s.%s: kind %s not covered by this test", r.Descriptor().Name(), f.Name(), f.Kind())
		}
		if f.IsList() {
			l := r.Mutable(f).List()
			l.Append(v)
			l.Append(v)
			continue
		}
		r.Set(f, v)
	}
	return m
}

func TestWithDeadlineCopiesEveryField(t *testing.T) {
	deadline := time.UnixMicro(1_765_000_000_123_456)
	for _, cmd := range []proto.Message{&HoldCommand{}, &ReleaseCommand{}, &ExtendCommand{}, &ConfirmCommand{}, &CancelCommand{}} {
		cmd = filled(t, cmd)
		orig := proto.Clone(cmd)
		want := proto.Clone(cmd)
		dl := want.ProtoReflect().Descriptor().Fields().ByName("deadline_unix_micro")
		if dl == nil {
			t.Fatalf("%T has no deadline field", cmd)
		}
		want.ProtoReflect().Set(dl, protoreflect.ValueOfInt64(deadline.UnixMicro()))

		got := withDeadline(cmd, deadline)
		if got == cmd {
			t.Fatalf("%T: withDeadline returned the command itself, not a copy", cmd)
		}
		if !proto.Equal(got, want) {
			t.Errorf("%T: withDeadline = %v, want %v", cmd, got, want)
		}
		if !proto.Equal(cmd, orig) {
			t.Errorf("%T: withDeadline changed the command: %v, was %v", cmd, cmd, orig)
		}
	}
}

func TestCommandKindIsTheMessageName(t *testing.T) {
	for _, cmd := range []proto.Message{&HoldCommand{}, &ReleaseCommand{}, &ExtendCommand{}, &ConfirmCommand{}, &CancelCommand{}, &WakeCommand{}} {
		if got, want := commandKind(cmd), string(cmd.ProtoReflect().Descriptor().Name()); got != want {
			t.Errorf("commandKind(%T) = %q, want %q", cmd, got, want)
		}
	}
}

// TestTimerPoolReusesWithoutStaleFirings: a timer that fired, received or not, and one
// stopped before it fired, come back from the pool armed for their new duration only.
func TestTimerPoolReusesWithoutStaleFirings(t *testing.T) {
	var tp timerPool
	fired := tp.start(0)
	<-fired.C
	tp.put(fired)

	unread := tp.start(0)
	time.Sleep(time.Millisecond) // let it fire; the check below holds whether it did or not
	tp.put(unread)

	stopped := tp.start(time.Hour)
	tp.put(stopped)

	for range 3 {
		again := tp.start(time.Hour)
		select {
		case <-again.C:
			t.Fatal("a timer from the pool delivered a firing from before its reuse")
		default:
		}
		defer again.Stop()
	}

	short := tp.start(0)
	<-short.C // a reused timer still fires for its new duration
}
