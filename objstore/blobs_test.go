package objstore

import (
	"errors"
	"fmt"
	"io/fs"
	"syscall"
	"testing"

	"github.com/shallot-storage/shallot/objstore/blob"
	"github.com/shallot-storage/shallot/objstore/disk"
)

func TestMapBlobErr(t *testing.T) {
	cases := []struct {
		name      string
		in        error
		want      error
		mustNotBe []error
	}{
		{"EACCES is not a permission error of the store", fmt.Errorf("write shard: %w", syscall.EACCES), ErrIO, []error{fs.ErrPermission}},
		{"ENOENT is not a missing object", fmt.Errorf("open shard: %w", syscall.ENOENT), ErrIO, []error{fs.ErrNotExist}},
		{"unreadable", blob.ErrUnreadable, ErrIO, nil},
		{"no space", fmt.Errorf("put: %w", disk.ErrNoSpace), ErrNoSpace, []error{ErrIO}},
		{"too large", blob.ErrTooLarge, ErrTooLarge, nil},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got := mapBlobErr(c.in)
			if !errors.Is(got, c.want) {
				t.Fatalf("%v is not %v", got, c.want)
			}
			for _, bad := range c.mustNotBe {
				if errors.Is(got, bad) {
					t.Fatalf("%v matches %v", got, bad)
				}
			}
		})
	}
}
