package main

import "testing"

func TestGodebugWithMadvFree(t *testing.T) {
	for _, tc := range []struct {
		cur, want string
		add       bool
	}{
		{"", "madvdontneed=0", true},
		{"gctrace=1", "gctrace=1,madvdontneed=0", true},
		{"madvdontneed=1", "madvdontneed=1", false}, // the user's choice stands
		{"gctrace=1, madvdontneed=0", "gctrace=1, madvdontneed=0", false},
	} {
		got, add := godebugWithMadvFree(tc.cur)
		if got != tc.want || add != tc.add {
			t.Errorf("godebugWithMadvFree(%q) = %q, %v; want %q, %v", tc.cur, got, add, tc.want, tc.add)
		}
	}
}
