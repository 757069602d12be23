package objstore

import (
	"testing"
	"time"
)

func TestTouchAtimesRelatime(t *testing.T) {
	clock := time.Unix(1_000_000, 0)
	s := NewTesting(t, Options{Now: func() time.Time { return clock }})
	if err := s.CreateBucket(ctx, "bkt", Owner{}); err != nil {
		t.Fatal(err)
	}
	bk, _ := s.Lookup(ctx, RootIno, "bkt")
	a := mustCreate(t, s, bk.Ino, "f")
	steps := []struct {
		name    string
		advance time.Duration
		change  bool // change mode first (moves ctime)
		touched bool
	}{
		{"first read after create", time.Second, false, true},
		{"second read", time.Second, false, false},
		{"read after a change", time.Second, true, true},
		{"read an hour later", time.Hour, false, false},
		{"read a day later", 24 * time.Hour, false, true},
	}
	for _, st := range steps {
		clock = clock.Add(st.advance)
		if st.change {
			mode := uint32(0o600)
			if _, err := s.SetAttr(ctx, a.Ino, SetAttrIn{Mode: &mode}); err != nil {
				t.Fatal(err)
			}
			clock = clock.Add(time.Second)
		}
		before, _ := s.GetAttr(ctx, a.Ino)
		if AtimeDue(before, clock) != st.touched {
			t.Errorf("%s: AtimeDue %v, want %v", st.name, !st.touched, st.touched)
		}
		if err := s.TouchAtimes(ctx, map[Ino]time.Time{a.Ino: clock, 12345: clock}); err != nil {
			t.Fatal(err)
		}
		after, _ := s.GetAttr(ctx, a.Ino)
		if touched := !after.Atime.Equal(before.Atime); touched != st.touched {
			t.Errorf("%s: touched %v, want %v", st.name, touched, st.touched)
		}
		if st.touched && !after.Atime.Equal(clock) {
			t.Errorf("%s: atime %v, want %v", st.name, after.Atime, clock)
		}
		if !after.Ctime.Equal(before.Ctime) || !after.Mtime.Equal(before.Mtime) {
			t.Errorf("%s: touching atime changed ctime or mtime", st.name)
		}
	}
}
