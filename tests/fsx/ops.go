package fsx

import (
	"fmt"

	"golang.org/x/sys/unix"
)

// Every operation changes the file and the model alike, then checks what
// it can: reads compare bytes, and each operation ends by comparing the
// descriptor's size with the model's (checkSize).

func (r *runner) opRead(i int) error {
	size := int64(len(r.model))
	off := r.offset(size + int64(r.cfg.MaxIO)/4)
	buf := make([]byte, r.ioLen())
	n, err := unix.Pread(r.fd, buf, off)
	what := fmt.Sprintf("read %d at %d", len(buf), off)
	if err != nil {
		return r.fail(i, what, "pread: "+err.Error(), -1)
	}
	want := int(max(0, min(int64(len(buf)), size-off)))
	if err := r.compare(i, what, buf, off, n, want); err != nil {
		return err
	}
	r.note(i, what, off, off)
	return r.checkSize(i, what)
}

// opWrite writes inside the file, or (extend) past its end, leaving a hole.
func (r *runner) opWrite(i int, extend bool) error {
	size := int64(len(r.model))
	n := r.ioLen()
	var off int64
	if extend {
		off = size + r.rng.Int64N(4*int64(r.cfg.MaxIO))
	} else {
		off = r.offset(size)
	}
	if off+int64(n) > r.cfg.MaxLen {
		if off >= r.cfg.MaxLen {
			off = r.offset(size)
		}
		n = int(max(1, min(int64(n), r.cfg.MaxLen-off)))
	}
	buf := make([]byte, n)
	pattern(buf, i, off)
	what := fmt.Sprintf("write %d at %d (size %d)", n, off, size)
	if extend {
		what = "extend: " + what
	}
	got, err := unix.Pwrite(r.fd, buf, off)
	if err != nil || got != n {
		return r.fail(i, what, fmt.Sprintf("pwrite: %d, %v", got, err), -1)
	}
	r.modelWrite(buf, off)
	r.note(i, what, off, off+int64(n))
	return r.checkSize(i, what)
}

func (r *runner) opTruncate(i int) error {
	size := int64(len(r.model))
	var to int64
	switch r.rng.IntN(5) {
	case 0:
		to = 0
	case 1: // a little down
		to = max(0, size-1-r.rng.Int64N(int64(r.cfg.MaxIO)))
	case 2: // a little up
		to = min(r.cfg.MaxLen, size+1+r.rng.Int64N(int64(r.cfg.MaxIO)))
	default:
		to = r.rng.Int64N(r.cfg.MaxLen + 1)
	}
	what := fmt.Sprintf("truncate %d -> %d", size, to)
	if err := unix.Ftruncate(r.fd, to); err != nil {
		return r.fail(i, what, "ftruncate: "+err.Error(), -1)
	}
	r.setSize(to)
	// The bytes past the old end are new zeros: they count as changed.
	r.note(i, what, min(size, to), max(size, to))
	return r.checkSize(i, what)
}

// mapping maps [off, off+n) of the file (the mapping starts at the page
// below off) and returns the whole mapping and the slice for the range.
func (r *runner) mapping(off int64, n int, prot int) (whole, part []byte, err error) {
	base := off / r.page * r.page
	whole, err = unix.Mmap(r.fd, base, int(off-base)+n, prot, unix.MAP_SHARED)
	if err != nil {
		return nil, nil, err
	}
	return whole, whole[off-base : off-base+int64(n)], nil
}

func (r *runner) opMapRead(i int) error {
	size := int64(len(r.model))
	if size == 0 {
		r.stats["mapread-empty"]++
		return nil
	}
	off := r.offset(size)
	n := int(min(int64(r.ioLen()), size-off))
	what := fmt.Sprintf("mapread %d at %d", n, off)
	whole, part, err := r.mapping(off, n, unix.PROT_READ)
	if err != nil {
		return r.fail(i, what, "mmap: "+err.Error(), -1)
	}
	got := append([]byte(nil), part...)
	if err := unix.Munmap(whole); err != nil {
		return r.fail(i, what, "munmap: "+err.Error(), -1)
	}
	if err := r.compare(i, what, got, off, n, n); err != nil {
		return err
	}
	r.note(i, what, off, off)
	return r.checkSize(i, what)
}

// opMapWrite writes through a shared mapping, first extending the file
// with ftruncate when the range lies past its end (a mapping cannot).
func (r *runner) opMapWrite(i int) error {
	size := int64(len(r.model))
	off := r.offset(min(r.cfg.MaxLen-1, size+int64(r.cfg.MaxIO)))
	n := int(max(1, min(int64(r.ioLen()), r.cfg.MaxLen-off)))
	sync := []string{"", "msync", "msync-async"}[r.rng.IntN(3)]
	what := fmt.Sprintf("mapwrite %d at %d (size %d) %s", n, off, size, sync)
	if end := off + int64(n); end > size {
		if err := unix.Ftruncate(r.fd, end); err != nil {
			return r.fail(i, what, "ftruncate to extend: "+err.Error(), -1)
		}
		r.setSize(end)
	}
	whole, part, err := r.mapping(off, n, unix.PROT_READ|unix.PROT_WRITE)
	if err != nil {
		return r.fail(i, what, "mmap: "+err.Error(), -1)
	}
	pattern(part, i, off)
	switch sync {
	case "msync":
		err = unix.Msync(whole, unix.MS_SYNC)
	case "msync-async":
		err = unix.Msync(whole, unix.MS_ASYNC)
	}
	if err != nil {
		unix.Munmap(whole)
		return r.fail(i, what, "msync: "+err.Error(), -1)
	}
	buf := make([]byte, n)
	pattern(buf, i, off)
	if err := unix.Munmap(whole); err != nil {
		return r.fail(i, what, "munmap: "+err.Error(), -1)
	}
	r.modelWrite(buf, off)
	r.note(i, what, min(off, size), off+int64(n))
	return r.checkSize(i, what)
}

// fallocate runs one fallocate(2); an unsupported mode turns the operation
// off for the rest of the run (counted in the stats as "<name>-unsupported").
func (r *runner) fallocate(i int, name, what string, mode uint32, off, n int64) (ok bool, err error) {
	if e := unix.Fallocate(r.fd, mode, off, n); e != nil {
		if e == unix.EOPNOTSUPP || e == unix.ENOSYS {
			r.skip[name] = true
			r.stats[name+"-unsupported"]++
			return false, nil
		}
		return false, r.fail(i, what, "fallocate: "+e.Error(), -1)
	}
	return true, nil
}

// allocRange is a random range for fallocate, inside MaxLen.
func (r *runner) allocRange() (off, n int64) {
	off = r.offset(min(r.cfg.MaxLen-1, int64(len(r.model))+int64(r.cfg.MaxIO)))
	n = max(1, min(int64(r.ioLen()), r.cfg.MaxLen-off))
	return off, n
}

func (r *runner) opFalloc(i int) error {
	size := int64(len(r.model))
	off, n := r.allocRange()
	var mode uint32
	if r.rng.IntN(2) == 0 {
		mode = unix.FALLOC_FL_KEEP_SIZE
	}
	what := fmt.Sprintf("falloc %d at %d mode %#x (size %d)", n, off, mode, size)
	ok, err := r.fallocate(i, "falloc", what, mode, off, n)
	if !ok {
		return err
	}
	if mode == 0 && off+n > size {
		r.setSize(off + n)
	}
	r.note(i, what, min(off, size), min(off, size))
	return r.checkSize(i, what)
}

func (r *runner) opPunch(i int) error {
	size := int64(len(r.model))
	off, n := r.allocRange()
	what := fmt.Sprintf("punch %d at %d (size %d)", n, off, size)
	ok, err := r.fallocate(i, "punch", what, unix.FALLOC_FL_PUNCH_HOLE|unix.FALLOC_FL_KEEP_SIZE, off, n)
	if !ok {
		return err
	}
	end := min(off+n, size)
	if off < end {
		clear(r.model[off:end])
	}
	r.note(i, what, off, max(off, end))
	return r.checkSize(i, what)
}

func (r *runner) opZero(i int) error {
	size := int64(len(r.model))
	off, n := r.allocRange()
	keep := r.rng.IntN(2) == 0
	mode := uint32(unix.FALLOC_FL_ZERO_RANGE)
	if keep {
		mode |= unix.FALLOC_FL_KEEP_SIZE
	}
	what := fmt.Sprintf("zero %d at %d keep=%v (size %d)", n, off, keep, size)
	ok, err := r.fallocate(i, "zero", what, mode, off, n)
	if !ok {
		return err
	}
	end := off + n
	if keep {
		end = min(end, size)
	} else if end > size {
		r.setSize(end)
	}
	if off < end {
		clear(r.model[off:end])
	}
	r.note(i, what, off, max(off, end))
	return r.checkSize(i, what)
}

// opCopy copies a range of the file to a place in it that does not
// overlap (the kernel refuses overlapping copies within one file).
func (r *runner) opCopy(i int) error {
	size := int64(len(r.model))
	if size == 0 {
		r.stats["copy-empty"]++
		return nil
	}
	in := r.offset(size)
	n := min(int64(r.ioLen()), size-in)
	var out int64
	found := false
	for try := 0; try < 8 && !found; try++ {
		out = r.offset(min(r.cfg.MaxLen-n, size+int64(r.cfg.MaxIO)))
		found = out+n <= in || out >= in+n
	}
	if !found || out+n > r.cfg.MaxLen {
		r.stats["copy-nospace"]++
		return nil
	}
	what := fmt.Sprintf("copy %d from %d to %d (size %d)", n, in, out, size)
	roff, woff := in, out
	got, err := unix.CopyFileRange(r.fd, &roff, r.fd, &woff, int(n), 0)
	if err == unix.EOPNOTSUPP || err == unix.ENOSYS || err == unix.EXDEV {
		r.skip["copy"] = true
		r.stats["copy-unsupported"]++
		return nil
	}
	if err != nil || int64(got) != n {
		return r.fail(i, what, fmt.Sprintf("copy_file_range: %d, %v", got, err), -1)
	}
	r.modelWrite(append([]byte(nil), r.model[in:in+n]...), out)
	r.note(i, what, out, out+n)
	return r.checkSize(i, what)
}

// opAppend writes through a second descriptor opened O_APPEND, which
// must land at the end whatever the first descriptor did meanwhile.
func (r *runner) opAppend(i int) error {
	size := int64(len(r.model))
	n := int(min(int64(r.ioLen()), r.cfg.MaxLen-size))
	if n <= 0 {
		r.stats["append-full"]++
		return nil
	}
	what := fmt.Sprintf("append %d (size %d)", n, size)
	if r.appendFD < 0 {
		fd, err := unix.Open(r.path, unix.O_WRONLY|unix.O_APPEND|unix.O_CLOEXEC, 0)
		if err != nil {
			return r.fail(i, what, "open O_APPEND: "+err.Error(), -1)
		}
		r.appendFD = fd
	}
	buf := make([]byte, n)
	pattern(buf, i, size)
	got, err := unix.Write(r.appendFD, buf)
	if err != nil || got != n {
		return r.fail(i, what, fmt.Sprintf("write: %d, %v", got, err), -1)
	}
	r.modelWrite(buf, size)
	r.note(i, what, size, size+int64(n))
	return r.checkSize(i, what)
}

// opSeek checks lseek SEEK_DATA and SEEK_HOLE against the model. A file
// system may count zeros as data and report holes coarsely, so the checks
// are what must hold everywhere: no non-zero byte is skipped as a hole,
// and the answers lie in the file.
func (r *runner) opSeek(i int) error {
	size := int64(len(r.model))
	off := r.offset(size + 1)
	hole := r.rng.IntN(2) == 0
	whence, what := unix.SEEK_DATA, fmt.Sprintf("seek data from %d (size %d)", off, size)
	if hole {
		whence, what = unix.SEEK_HOLE, fmt.Sprintf("seek hole from %d (size %d)", off, size)
	}
	pos, err := unix.Seek(r.fd, off, whence)
	r.note(i, what, off, off)
	switch {
	case err == unix.ENXIO:
		if off < size && (hole || nonZero(r.model[off:]) >= 0) {
			return r.fail(i, what, "ENXIO below the end, or with data after", off)
		}
	case err == unix.EINVAL && r.direct:
		// Some file systems refuse lseek on O_DIRECT descriptors.
	case err != nil:
		return r.fail(i, what, "lseek: "+err.Error(), -1)
	case off >= size:
		return r.fail(i, what, fmt.Sprintf("answered %d at or past the end, want ENXIO", pos), -1)
	case pos < off || pos > size:
		return r.fail(i, what, fmt.Sprintf("answered %d, outside [%d, %d]", pos, off, size), -1)
	case !hole:
		if k := nonZero(r.model[off:pos]); k >= 0 {
			return r.fail(i, what, fmt.Sprintf("answered %d, skipping data at %d", pos, off+int64(k)), off+int64(k))
		}
	case hole:
		if pos < size {
			// A hole reported at pos must read as zeros there.
			if r.model[pos] != 0 {
				return r.fail(i, what, fmt.Sprintf("answered %d, where byte %#x lies", pos, r.model[pos]), pos)
			}
		}
	}
	return r.checkSize(i, what)
}

// nonZero is the index of the first non-zero byte of p, or -1.
func nonZero(p []byte) int {
	for k, b := range p {
		if b != 0 {
			return k
		}
	}
	return -1
}

func (r *runner) opFsync(i int) error {
	what, err := "fsync", error(nil)
	if r.rng.IntN(2) == 0 {
		what, err = "fdatasync", unix.Fdatasync(r.fd)
	} else {
		err = unix.Fsync(r.fd)
	}
	if err != nil {
		return r.fail(i, what, err.Error(), -1)
	}
	r.note(i, what, 0, 0)
	return r.checkSize(i, what)
}

// opReopen closes every descriptor (committing the file), checks the whole
// file through a fresh one, and reopens, sometimes O_TRUNC or O_DIRECT.
func (r *runner) opReopen(i int) error {
	r.closeAll()
	if err := r.checkFresh(i, "reopen: check after close"); err != nil {
		return err
	}
	flags := unix.O_RDWR | unix.O_CLOEXEC
	what := "reopen"
	if r.rng.IntN(8) == 0 {
		flags |= unix.O_TRUNC
		what += " O_TRUNC"
	}
	r.direct = r.cfg.Direct && r.rng.IntN(3) == 0
	if r.direct {
		flags |= unix.O_DIRECT
		what += " O_DIRECT"
	}
	fd, err := unix.Open(r.path, flags, 0)
	if err != nil {
		return r.fail(i, what, "open: "+err.Error(), -1)
	}
	r.fd = fd
	if flags&unix.O_TRUNC != 0 {
		r.note(i, what, 0, int64(len(r.model)))
		r.setSize(0)
	} else {
		r.note(i, what, 0, 0)
	}
	if r.cfg.Logf != nil {
		r.cfg.Logf("fsx seed %d op %d: %s, size %d", r.cfg.Seed, i, what, len(r.model))
	}
	return r.checkSize(i, what)
}

// checkFresh reads the whole file through a new descriptor.
func (r *runner) checkFresh(i int, what string) error {
	fd, err := unix.Open(r.path, unix.O_RDONLY|unix.O_CLOEXEC, 0)
	if err != nil {
		return r.fail(i, what, "open: "+err.Error(), -1)
	}
	defer unix.Close(fd)
	var st unix.Stat_t
	if err := unix.Fstat(fd, &st); err != nil {
		return r.fail(i, what, "fstat: "+err.Error(), -1)
	}
	if st.Size != int64(len(r.model)) {
		return r.fail(i, what, fmt.Sprintf("size %d, model %d", st.Size, len(r.model)), min(st.Size, int64(len(r.model))))
	}
	buf := make([]byte, 256<<10)
	for off := int64(0); off <= int64(len(r.model)); off += int64(len(buf)) {
		n, err := unix.Pread(fd, buf, off)
		if err != nil {
			return r.fail(i, what, fmt.Sprintf("pread at %d: %v", off, err), -1)
		}
		want := int(min(int64(len(buf)), int64(len(r.model))-off))
		if err := r.compare(i, what, buf, off, n, want); err != nil {
			return err
		}
	}
	return nil
}

// checkSize compares the main descriptor's size with the model's.
func (r *runner) checkSize(i int, what string) error {
	if r.fd < 0 {
		return nil
	}
	var st unix.Stat_t
	if err := unix.Fstat(r.fd, &st); err != nil {
		return r.fail(i, what, "fstat: "+err.Error(), -1)
	}
	if st.Size != int64(len(r.model)) {
		return r.fail(i, what, fmt.Sprintf("fstat size %d after the operation, model %d", st.Size, len(r.model)), min(st.Size, int64(len(r.model))))
	}
	return nil
}
