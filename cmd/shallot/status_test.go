package main

import (
	"testing"
	"time"
)

func TestParseBytes(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want int64
		bad  bool
	}{
		{in: "0"}, {in: "123", want: 123}, {in: "64K", want: 64 << 10}, {in: "16MiB", want: 16 << 20},
		{in: "16mb", want: 16 << 20}, {in: "2G", want: 2 << 30}, {in: "1TiB", want: 1 << 40},
		{in: "", bad: true}, {in: "MiB", bad: true}, {in: "12X", bad: true}, {in: "-5", bad: true},
		{in: "99999999999T", bad: true},
	} {
		t.Run(tc.in, func(t *testing.T) {
			got, err := parseBytes(tc.in)
			if (err != nil) != tc.bad || got != tc.want {
				t.Errorf("parseBytes(%q) = %d, %v; want %d (error: %v)", tc.in, got, err, tc.want, tc.bad)
			}
		})
	}
}

func TestMaintOptions(t *testing.T) {
	for _, tc := range []struct {
		name        string
		c           maintConfig
		scrub, heal int64
		bad         bool
	}{
		{"defaults", maintConfig{scrubRate: "16MiB", healRate: "128MiB"}, 16 << 20, 128 << 20, false},
		{"scrub off, heal unbounded", maintConfig{scrubRate: "off", healRate: "0"}, -1, -1, false},
		{"zero scrub rate", maintConfig{scrubRate: "0", healRate: "1M"}, 0, 0, true},
		{"bad heal rate", maintConfig{scrubRate: "1M", healRate: "fast"}, 0, 0, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tc.c.scrubInterval, tc.c.probeInterval = time.Hour, time.Second
			o, err := tc.c.options("/data/meta", nil)
			if (err != nil) != tc.bad {
				t.Fatalf("error %v, want error: %v", err, tc.bad)
			}
			if !tc.bad && (o.ScrubRate != tc.scrub || o.HealRate != tc.heal || o.CheckpointFile != "/data/meta-checkpoint") {
				t.Errorf("options %+v", o)
			}
		})
	}
}
