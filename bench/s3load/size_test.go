package main

import "testing"

func TestParseSize(t *testing.T) {
	cases := []struct {
		in   string
		want int64
		bad  bool
	}{
		{in: "4KiB", want: 4 << 10}, {in: "1MiB", want: 1 << 20}, {in: "64MiB", want: 64 << 20},
		{in: "0", want: 0}, {in: "17B", want: 17}, {in: "x", bad: true}, {in: "-1", bad: true},
	}
	for _, c := range cases {
		t.Run(c.in, func(t *testing.T) {
			got, err := parseSize(c.in)
			if (err != nil) != c.bad || got != c.want {
				t.Errorf("parseSize(%q) = %d, %v", c.in, got, err)
			}
		})
	}
}
