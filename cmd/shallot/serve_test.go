package main

import (
	"strings"
	"testing"

	"github.com/shallot-storage/shallot/meta"
)

func TestParseEC(t *testing.T) {
	cases := []struct {
		in     string
		k, m   int
		errSub string
	}{
		{"4+2", 4, 2, ""}, {"8+3", 8, 3, ""}, {"1+1", 1, 1, ""},
		{"4", 0, 0, "want K+M"}, {"0+2", 0, 0, "want K+M"}, {"4+0", 0, 0, "want K+M"},
		{"30+3", 0, 0, "want K+M"}, {"a+b", 0, 0, "want K+M"}, {"", 0, 0, "want K+M"},
	}
	for _, c := range cases {
		t.Run(c.in, func(t *testing.T) {
			k, m, err := parseEC(c.in)
			if c.errSub != "" {
				if err == nil || !strings.Contains(err.Error(), c.errSub) {
					t.Fatalf("parseEC(%q) = %d, %d, %v", c.in, k, m, err)
				}
				return
			}
			if err != nil || k != c.k || m != c.m {
				t.Fatalf("parseEC(%q) = %d, %d, %v", c.in, k, m, err)
			}
		})
	}
}

func TestParseServeDefaults(t *testing.T) {
	c, err := parseServe(nil)
	if err != nil || c.data != "./shallot-data" || c.mount != "./mnt" || c.s3Addr != "127.0.0.1:9000" || c.ec != "4+2" {
		t.Fatalf("defaults: %+v %v", c, err)
	}
	if _, err := parseServe([]string{"extra"}); err == nil {
		t.Fatal("stray argument accepted")
	}
}

// The layout is fixed at first start: shards written as 4+2 cannot be read
// as anything else.
func TestCheckLayout(t *testing.T) {
	db, err := meta.Open(meta.Options{InMemory: true})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if err := checkLayout(db, "4+2", 6); err != nil {
		t.Fatal(err)
	}
	if err := checkLayout(db, "4+2", 6); err != nil {
		t.Fatalf("same layout refused: %v", err)
	}
	if err := checkLayout(db, "8+3", 11); err == nil {
		t.Fatal("changed layout accepted")
	}
}

func TestUnescapeMountPath(t *testing.T) {
	for in, want := range map[string]string{`/a/b`: "/a/b", `/a\040b`: "/a b", `/x\011y\134z`: "/x\ty\\z", `/end\04`: `/end\04`} {
		if got := unescapeMountPath(in); got != want {
			t.Errorf("unescape(%q) = %q, want %q", in, got, want)
		}
	}
}
