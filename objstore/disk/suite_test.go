package disk

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"slices"
	"sync"
	"testing"
)

// testConformance is the contract of Disk, run against every implementation.
func testConformance(t *testing.T, newDisk func(t *testing.T) Disk) {
	ctx := context.Background()

	t.Run("WriteReadWhole", func(t *testing.T) {
		d := newDisk(t)
		for _, tc := range []struct {
			name  string
			parts [][]byte
		}{
			{"empty", nil},
			{"one", [][]byte{[]byte("hello")}},
			{"parts", [][]byte{[]byte("he"), nil, []byte("llo world")}},
			{"big", [][]byte{bytes.Repeat([]byte{7}, 1<<20+3)}},
		} {
			t.Run(tc.name, func(t *testing.T) {
				if err := d.WriteFile(ctx, tc.name, tc.parts...); err != nil {
					t.Fatal(err)
				}
				want := bytes.Join(tc.parts, nil)
				got := make([]byte, len(want)+10)
				n, err := d.ReadAt(ctx, tc.name, got, 0)
				if err != io.EOF || n != len(want) || !bytes.Equal(got[:n], want) {
					t.Fatalf("ReadAt = %d, %v; want %d, EOF and same bytes", n, err, len(want))
				}
			})
		}
	})

	t.Run("ReadAtRanges", func(t *testing.T) {
		d := newDisk(t)
		data := []byte("0123456789")
		if err := d.WriteFile(ctx, "f", data); err != nil {
			t.Fatal(err)
		}
		for _, tc := range []struct {
			name    string
			off     int64
			n       int
			want    string
			wantEOF bool
		}{
			{"start", 0, 3, "012", false},
			{"middle", 4, 3, "456", false},
			{"toEnd", 7, 3, "789", false},
			{"pastEnd", 8, 5, "89", true},
			{"atEnd", 10, 1, "", true},
			{"beyond", 20, 1, "", true},
		} {
			t.Run(tc.name, func(t *testing.T) {
				p := make([]byte, tc.n)
				n, err := d.ReadAt(ctx, "f", p, tc.off)
				if string(p[:n]) != tc.want || (err == io.EOF) != tc.wantEOF || (err != nil && err != io.EOF) {
					t.Fatalf("ReadAt(%d, %d) = %q, %v", tc.off, tc.n, p[:n], err)
				}
			})
		}
	})

	t.Run("Replace", func(t *testing.T) {
		d := newDisk(t)
		for _, s := range []string{"first version", "v2"} {
			if err := d.WriteFile(ctx, "f", []byte(s)); err != nil {
				t.Fatal(err)
			}
		}
		p := make([]byte, 20)
		n, _ := d.ReadAt(ctx, "f", p, 0)
		if string(p[:n]) != "v2" {
			t.Fatalf("got %q after replace", p[:n])
		}
	})

	t.Run("Missing", func(t *testing.T) {
		d := newDisk(t)
		if _, err := d.ReadAt(ctx, "nope", make([]byte, 1), 0); !errors.Is(err, fs.ErrNotExist) {
			t.Errorf("ReadAt missing: %v", err)
		}
		if err := d.Remove(ctx, "nope"); !errors.Is(err, fs.ErrNotExist) {
			t.Errorf("Remove missing: %v", err)
		}
	})

	t.Run("Remove", func(t *testing.T) {
		d := newDisk(t)
		if err := d.WriteFile(ctx, "f", []byte("x")); err != nil {
			t.Fatal(err)
		}
		if err := d.Remove(ctx, "f"); err != nil {
			t.Fatal(err)
		}
		if _, err := d.ReadAt(ctx, "f", make([]byte, 1), 0); !errors.Is(err, fs.ErrNotExist) {
			t.Errorf("ReadAt after remove: %v", err)
		}
	})

	t.Run("BadNames", func(t *testing.T) {
		d := newDisk(t)
		for _, name := range []string{"", ".hidden", "a/b", "..", "sp ace", "nul\x00"} {
			if err := d.WriteFile(ctx, name, []byte("x")); !errors.Is(err, fs.ErrInvalid) {
				t.Errorf("WriteFile(%q) = %v, want ErrInvalid", name, err)
			}
		}
	})

	t.Run("List", func(t *testing.T) {
		d := newDisk(t)
		var want []string
		for i := range 300 {
			name := fmt.Sprintf("%016x.%d", i*7919, i%6)
			want = append(want, name)
			if err := d.WriteFile(ctx, name, []byte(name)); err != nil {
				t.Fatal(err)
			}
		}
		var got []string
		if err := d.List(ctx, func(name string) error { got = append(got, name); return nil }); err != nil {
			t.Fatal(err)
		}
		slices.Sort(want)
		slices.Sort(got)
		if !slices.Equal(got, want) {
			t.Fatalf("List returned %d names, want %d", len(got), len(want))
		}
		stop := errors.New("stop")
		calls := 0
		err := d.List(ctx, func(string) error { calls++; return stop })
		if !errors.Is(err, stop) || calls != 1 {
			t.Fatalf("List with failing fn: %v after %d calls", err, calls)
		}
	})

	t.Run("Stat", func(t *testing.T) {
		d := newDisk(t)
		u, err := d.Stat(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if u.Total == 0 || u.Free > u.Total {
			t.Fatalf("Stat = %+v", u)
		}
	})

	t.Run("Concurrent", func(t *testing.T) {
		d := newDisk(t)
		var wg sync.WaitGroup
		for g := range 8 {
			wg.Go(func() {
				for i := range 20 {
					name := fmt.Sprintf("g%d-%d", g, i%3)
					want := []byte(fmt.Sprintf("%s-payload-%d", name, i))
					if err := d.WriteFile(ctx, name, want); err != nil {
						t.Error(err)
						return
					}
					p := make([]byte, 64)
					if _, err := d.ReadAt(ctx, name, p, 0); err != nil && err != io.EOF {
						t.Error(err)
					}
				}
			})
		}
		wg.Wait()
	})

	t.Run("Canceled", func(t *testing.T) {
		d := newDisk(t)
		cctx, cancel := context.WithCancel(ctx)
		cancel()
		if err := d.WriteFile(cctx, "f", []byte("x")); !errors.Is(err, context.Canceled) {
			t.Fatalf("WriteFile with canceled context: %v", err)
		}
		if _, err := d.ReadAt(ctx, "f", make([]byte, 1), 0); !errors.Is(err, fs.ErrNotExist) {
			t.Fatalf("canceled write left a file: %v", err)
		}
	})
}

func TestDirConformance(t *testing.T) {
	testConformance(t, func(t *testing.T) Disk {
		d, err := NewDir("", t.TempDir())
		if err != nil {
			t.Fatal(err)
		}
		return d
	})
}

func TestMemConformance(t *testing.T) {
	testConformance(t, func(t *testing.T) Disk { return NewMem("mem", 0) })
}

func TestFaultyHealthyConformance(t *testing.T) {
	testConformance(t, func(t *testing.T) Disk { return NewFaulty(NewMem("mem", 0)) })
}
