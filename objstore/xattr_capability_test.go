package objstore

import (
	"errors"
	"testing"
)

// TestCapabilityAnsweredFromMemory: the kernel's per-write question for
// security.capability is answered without the metadata once looked up,
// and a set or remove is seen at once by the next question.
func TestCapabilityAnsweredFromMemory(t *testing.T) {
	s := small(t)
	a := mustCreate(t, s, RootIno, "f")
	h, err := s.Open(ctx, a.Ino, false)
	if err != nil {
		t.Fatal(err)
	}
	defer h.Release(ctx)
	want := func(step string, value string) {
		t.Helper()
		for i := 0; i < 2; i++ { // the second answer may come from memory
			v, err := s.GetXattr(ctx, a.Ino, xattrCapability)
			switch {
			case value == "" && !errors.Is(err, ErrNoAttr):
				t.Fatalf("%s: got %q, %v; want ErrNoAttr", step, v, err)
			case value != "" && (err != nil || string(v) != value):
				t.Fatalf("%s: got %q, %v; want %q", step, v, err, value)
			}
		}
	}
	want("fresh file", "")
	if f := s.openFileIfAny(a.Ino); f == nil || f.noCapAt.Load() == 0 {
		t.Fatal("the absence was not remembered for the open file")
	}
	if err := s.SetXattr(ctx, a.Ino, xattrCapability, []byte("cap-v1"), 0); err != nil {
		t.Fatal(err)
	}
	want("after set", "cap-v1")
	if err := s.RemoveXattr(ctx, a.Ino, xattrCapability); err != nil {
		t.Fatal(err)
	}
	want("after remove", "")
	if err := s.SetXattr(ctx, a.Ino, xattrCapability, []byte("cap-v2"), 0); err != nil {
		t.Fatal(err)
	}
	want("after a second set", "cap-v2")
}
