package objstore

import (
	"errors"
	"math"
	"testing"
	"time"
)

// TestSetAttrTimesRange: times are stored to the nanosecond across the
// range int64 nanoseconds hold (1677 to 2262, before 1970 included);
// times outside it are refused with ErrInvalid and change nothing, rather
// than wrapping into another time.
func TestSetAttrTimesRange(t *testing.T) {
	tests := []struct {
		name string
		t    time.Time
		ok   bool
	}{
		{"now", time.Date(2026, 11, 30, 10, 0, 0, 123456789, time.UTC), true},
		{"before 1970", time.Date(1969, 12, 31, 23, 59, 59, 500000000, time.UTC), true},
		{"1900", time.Date(1900, 1, 1, 0, 0, 0, 1, time.UTC), true},
		{"earliest", time.Unix(0, math.MinInt64), true},
		{"latest", time.Unix(0, math.MaxInt64), true},
		{"just before earliest", time.Unix(0, math.MinInt64).Add(-1), false},
		{"just after latest", time.Unix(0, math.MaxInt64).Add(1), false},
		{"1600", time.Date(1600, 1, 1, 0, 0, 0, 0, time.UTC), false},
		{"2500", time.Date(2500, 1, 1, 0, 0, 0, 0, time.UTC), false},
		{"tv_sec max", time.Unix(math.MaxInt64, 999999999), false},
		{"tv_sec min", time.Unix(math.MinInt64, 0), false},
	}
	s := small(t)
	a := mustCreate(t, s, RootIno, "f")
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			before, err := s.GetAttr(ctx, a.Ino)
			if err != nil {
				t.Fatal(err)
			}
			for _, in := range []SetAttrIn{{Atime: &tc.t}, {Mtime: &tc.t}} {
				got, err := s.SetAttr(ctx, a.Ino, in)
				switch {
				case tc.ok && err != nil:
					t.Fatalf("set %v: %v", tc.t, err)
				case tc.ok && in.Atime != nil && !got.Atime.Equal(tc.t):
					t.Errorf("atime set to %v reads %v", tc.t, got.Atime)
				case tc.ok && in.Mtime != nil && !got.Mtime.Equal(tc.t):
					t.Errorf("mtime set to %v reads %v", tc.t, got.Mtime)
				case !tc.ok && !errors.Is(err, ErrInvalid):
					t.Errorf("set %v: %v, want ErrInvalid", tc.t, err)
				}
			}
			if tc.ok {
				return
			}
			after, _ := s.GetAttr(ctx, a.Ino)
			if !after.Atime.Equal(before.Atime) || !after.Mtime.Equal(before.Mtime) || !after.Ctime.Equal(before.Ctime) {
				t.Errorf("a refused time changed the times: %v %v %v, were %v %v %v",
					after.Atime, after.Mtime, after.Ctime, before.Atime, before.Mtime, before.Ctime)
			}
		})
	}
}
