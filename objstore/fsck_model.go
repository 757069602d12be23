package objstore

import (
	"context"
	"fmt"
	"strings"

	"github.com/shallot-storage/shallot/meta"
)

// Repair tiers: a round of Fsck repairs one tier, then checks again, so
// that later tiers see the namespace the earlier ones fixed.
const (
	tierRecords   = 1 // entries, marks, extents, multipart state, damaged blobs
	tierInodes    = 2 // inodes without names: freed or moved to lost+found
	tierCounts    = 3 // link counts and stored bytes
	tierBlobsGone = 4 // blobs nothing names any more
)

// lostFound is the directory (not a valid bucket name, so S3 never lists
// it) where fsck puts inodes that have links but no names.
const lostFound = "lost+found"

// fsckInode is what the check knows of one inode.
type fsckInode struct {
	n          meta.Inode
	corrupt    bool
	names      uint32     // entries naming it
	subdirs    uint32     // for a directory: entries of directories in it
	named      []fsckName // where it is named (the first few)
	extStored  uint64     // bytes its extents cover
	inline     int
	orphanMark bool
}

type fsckName struct {
	parent   uint64
	name     string
	sortName string
}

// blobOwner is the record that owns a blob: an inode, or a part.
type blobOwner struct {
	ino    uint64
	upload string
	part   int
}

// fsckModel is the metadata as one check read it, and what it found.
type fsckModel struct {
	c        *fscker
	inodes   map[uint64]*fsckInode
	owners   map[uint64]blobOwner
	need     map[uint64]uint64 // bytes of each blob the records use
	shared   map[uint64][]blobOwner
	uploads  map[string]meta.Upload
	dangling map[uint64][]string // records of missing inodes, by kind
	problems []FsckProblem
	stats    FsckStats
	// corruptRefs: some extent or part record does not decode, so the
	// blobs it names are unknown and no blob may be called an orphan.
	corruptRefs bool
}

func newFsckModel(c *fscker) *fsckModel { return &fsckModel{c: c} }

// reset empties the model (a View closure may run again).
func (m *fsckModel) reset() {
	m.inodes = map[uint64]*fsckInode{}
	m.owners = map[uint64]blobOwner{}
	m.need = map[uint64]uint64{}
	m.shared = map[uint64][]blobOwner{}
	m.uploads = map[string]meta.Upload{}
	m.dangling = map[uint64][]string{}
	m.problems = nil
	m.stats = FsckStats{}
	m.corruptRefs = false
}

func (m *fsckModel) add(kind, id, object, detail string, tier int, fix func(context.Context) error) {
	m.problems = append(m.problems, FsckProblem{Kind: kind, Object: object, Detail: detail,
		key: kind + " " + id, tier: tier, fix: fix})
}

// path names an inode for people: its first name walked up to the root.
func (m *fsckModel) path(ino uint64) string {
	if ino == uint64(RootIno) {
		return "/"
	}
	var segs []string
	for cur, depth := ino, 0; cur != uint64(RootIno); depth++ {
		in := m.inodes[cur]
		if in == nil || len(in.named) == 0 || depth > 4096 {
			if len(segs) == 0 {
				return "(no name)"
			}
			segs = append(segs, "?")
			break
		}
		segs = append(segs, in.named[0].name)
		cur = in.named[0].parent
	}
	for i, j := 0, len(segs)-1; i < j; i, j = i+1, j-1 {
		segs[i], segs[j] = segs[j], segs[i]
	}
	return "/" + strings.Join(segs, "/")
}

func (m *fsckModel) inodeObject(ino uint64) string {
	return fmt.Sprintf("inode %d %s", ino, m.path(ino))
}

func (o blobOwner) String() string {
	if o.upload != "" {
		return fmt.Sprintf("part %d of upload %s", o.part, o.upload)
	}
	return fmt.Sprintf("inode %d", o.ino)
}

func (m *fsckModel) ownerObject(o blobOwner) string {
	if o.upload != "" {
		if u, ok := m.uploads[o.upload]; ok {
			return fmt.Sprintf("%s (%s/%s)", o, u.Bucket, u.Key)
		}
		return o.String()
	}
	return m.inodeObject(o.ino)
}

// own records that o names blob b, using its bytes up to end.
func (m *fsckModel) own(b uint64, o blobOwner, end uint64) {
	if prev, ok := m.owners[b]; !ok {
		m.owners[b] = o
	} else if prev != o {
		known := false
		for _, s := range m.shared[b] {
			known = known || s == o
		}
		if !known {
			m.shared[b] = append(m.shared[b], o)
		}
	}
	m.need[b] = max(m.need[b], end)
}

// load reads every record of interest in one snapshot.
func (m *fsckModel) load(x *meta.Txn) error {
	c := m.c
	err := x.ScanInodes(func(ino uint64, n meta.Inode, err error) error {
		m.stats.Inodes++
		if err != nil {
			m.inodes[ino] = &fsckInode{corrupt: true, n: meta.Inode{Ino: ino}}
			m.add("corrupt-inode", fmt.Sprint(ino), fmt.Sprintf("inode %d", ino), err.Error(), 0, nil)
			return nil
		}
		switch n.Mode & ModeType {
		case ModeDir:
			m.stats.Dirs++
		case ModeRegular:
			m.stats.Files++
		}
		m.inodes[ino] = &fsckInode{n: n}
		return nil
	})
	if err != nil {
		return err
	}

	var curParent uint64
	seen := map[string]bool{}
	err = x.ScanAllDirents(func(parent uint64, sortName string, d meta.Dirent, err error) error {
		m.stats.Entries++
		id := fmt.Sprintf("%d/%q", parent, sortName)
		obj := fmt.Sprintf("entry %q in %s", strings.TrimSuffix(sortName, "/"), m.inodeObject(parent))
		if err != nil {
			m.add("corrupt-entry", id, obj, err.Error(), tierRecords, func(context.Context) error { return c.dropEntry(parent, sortName) })
			return nil
		}
		if parent != curParent {
			curParent = parent
			clear(seen)
		}
		p := m.inodes[parent]
		switch {
		case p == nil:
			m.add("entry-in-missing-dir", id, obj, fmt.Sprintf("directory inode %d does not exist", parent), tierRecords,
				func(context.Context) error { return c.dropEntry(parent, sortName) })
			return nil
		case p.corrupt:
			return nil
		case p.n.Mode&ModeType != ModeDir:
			m.add("entry-in-non-dir", id, obj, fmt.Sprintf("inode %d has mode %o", parent, p.n.Mode), tierRecords,
				func(context.Context) error { return c.dropEntry(parent, sortName) })
			return nil
		}
		if seen[d.Name] {
			m.add("duplicate-name", id, obj, "the name exists both as a file and as a directory", 0, nil)
		}
		seen[d.Name] = true
		if err := checkName(d.Name); err != nil {
			m.add("bad-name", id, obj, err.Error(), 0, nil)
		}
		ch := m.inodes[d.Ino]
		switch {
		case d.Ino == uint64(RootIno):
			m.add("entry-to-root", id, obj, "names the root directory", tierRecords,
				func(context.Context) error { return c.dropEntry(parent, sortName) })
			return nil
		case ch == nil:
			m.add("dangling-entry", id, obj, fmt.Sprintf("points at inode %d, which does not exist", d.Ino), tierRecords,
				func(context.Context) error { return c.dropEntry(parent, sortName) })
			return nil
		case ch.corrupt:
			ch.names++
			return nil
		case d.Mode&ModeType != ch.n.Mode&ModeType:
			mode := ch.n.Mode
			m.add("entry-type", id, obj, fmt.Sprintf("entry says type %o, inode %d is %o", d.Mode&ModeType, d.Ino, mode&ModeType), tierRecords,
				func(context.Context) error { return c.fixEntryType(parent, sortName, d, mode) })
		}
		ch.names++
		if len(ch.named) < 4 {
			ch.named = append(ch.named, fsckName{parent: parent, name: d.Name, sortName: sortName})
		}
		if ch.n.Mode&ModeType == ModeDir {
			p.subdirs++
		}
		return nil
	})
	if err != nil {
		return err
	}

	var curIno, prevEnd uint64
	err = x.ScanAllExtents(func(ino uint64, e meta.Extent, err error) error {
		m.stats.Extents++
		if ino != curIno {
			curIno, prevEnd = ino, 0
		}
		in := m.inodes[ino]
		if in == nil {
			m.noteDangling(ino, "extents")
			m.corruptRefs = m.corruptRefs || err != nil
			if err == nil {
				m.own(e.Blob, blobOwner{ino: ino}, e.BlobOff+e.Len)
			}
			return nil
		}
		obj := m.inodeObject(ino)
		id := fmt.Sprintf("%d@%d", ino, e.Off)
		if err != nil {
			m.corruptRefs = true
			m.add("corrupt-extent", id, obj, err.Error(), 0, nil)
			return nil
		}
		m.own(e.Blob, blobOwner{ino: ino}, e.BlobOff+e.Len)
		in.extStored += e.Len
		if in.corrupt {
			return nil
		}
		end := e.Off + e.Len
		switch {
		case in.n.Mode&ModeType != ModeRegular:
			m.add("extent-not-file", id, obj, fmt.Sprintf("extent at %d on an inode of mode %o", e.Off, in.n.Mode), 0, nil)
		case e.Len == 0:
			m.add("extent-empty", id, obj, fmt.Sprintf("extent at %d has length 0", e.Off), tierRecords,
				func(context.Context) error { return c.dropExtent(ino, e.Off) })
		case end < e.Off || e.BlobOff+e.Len < e.BlobOff:
			m.add("extent-overflow", id, obj, fmt.Sprintf("extent %+v overflows", e), 0, nil)
		case e.Off < prevEnd:
			m.add("extent-overlap", id, obj, fmt.Sprintf("extent at %d starts before the previous one ends (%d)", e.Off, prevEnd), 0, nil)
		case end > in.n.Size:
			m.add("extent-past-size", id, obj, fmt.Sprintf("extent [%d, %d) goes past the size %d", e.Off, end, in.n.Size), tierRecords,
				func(context.Context) error { return c.trimToSize(ino) })
		}
		prevEnd = max(prevEnd, end)
		return nil
	})
	if err != nil {
		return err
	}

	err = x.ScanContents(func(ino uint64, n int) error {
		in := m.inodes[ino]
		if in == nil {
			m.noteDangling(ino, "inline content")
			return nil
		}
		in.inline = n
		if !in.corrupt && in.n.Mode&ModeType == ModeRegular && uint64(n) > in.n.Size {
			m.add("inline-past-size", fmt.Sprint(ino), m.inodeObject(ino), fmt.Sprintf("%d inline bytes for a size of %d", n, in.n.Size), tierRecords,
				func(context.Context) error { return c.trimToSize(ino) })
		}
		return nil
	})
	if err != nil {
		return err
	}
	err = x.ScanXattrNames(func(ino uint64, _ string) error {
		if m.inodes[ino] == nil {
			m.noteDangling(ino, "extended attributes")
		}
		return nil
	})
	if err != nil {
		return err
	}
	orphans, err := x.Orphans()
	if err != nil {
		return err
	}
	for _, ino := range orphans {
		if in := m.inodes[ino]; in != nil {
			in.orphanMark = true
		} else {
			m.noteDangling(ino, "orphan mark")
		}
	}

	err = x.ScanAllUploads(func(u meta.Upload, err error) error {
		m.stats.Uploads++
		obj := fmt.Sprintf("upload %s (%s/%s)", u.UploadID, u.Bucket, u.Key)
		if err != nil {
			m.add("corrupt-upload", u.UploadID, obj, err.Error(), tierRecords, func(context.Context) error { return c.dropUpload(u) })
			return nil
		}
		m.uploads[u.UploadID] = u
		if _, err := resolveBucket(x, u.Bucket); err != nil {
			m.add("upload-without-bucket", u.UploadID, obj, fmt.Sprintf("bucket %q does not exist", u.Bucket), tierRecords,
				func(context.Context) error { return c.dropUpload(u) })
		}
		return nil
	})
	if err != nil {
		return err
	}
	return x.ScanAllParts(func(uploadID string, p meta.Part, err error) error {
		m.stats.Parts++
		id := fmt.Sprintf("%s#%d", uploadID, p.Number)
		obj := fmt.Sprintf("part %d of upload %s", p.Number, uploadID)
		if err != nil {
			m.corruptRefs = true
			if uploadID == "" {
				m.add("corrupt-part", id, "a part record", err.Error(), 0, nil)
				return nil
			}
			m.add("corrupt-part", id, obj, err.Error(), tierRecords, func(context.Context) error { return c.dropPart(uploadID, p.Number) })
			return nil
		}
		o := blobOwner{upload: uploadID, part: p.Number}
		var end uint64
		for _, e := range p.Extents {
			m.own(e.Blob, o, e.BlobOff+e.Len)
			if e.Off < end || e.Off+e.Len > p.Size {
				m.add("part-extents", id, obj, fmt.Sprintf("extent %+v overlaps or passes the part size %d", e, p.Size), 0, nil)
			}
			end = max(end, e.Off+e.Len)
		}
		if _, ok := m.uploads[uploadID]; !ok {
			m.add("part-without-upload", id, obj, "the upload does not exist", tierRecords,
				func(context.Context) error { return c.dropPart(uploadID, p.Number) })
		}
		return nil
	})
}

func (m *fsckModel) noteDangling(ino uint64, what string) {
	l := m.dangling[ino]
	for _, w := range l {
		if w == what {
			return
		}
	}
	m.dangling[ino] = append(l, what)
}

// analyse checks what needs every record read: link counts, names,
// reachability, stored bytes, records of missing inodes.
func (m *fsckModel) analyse() {
	c := m.c
	for ino, what := range m.dangling {
		m.add("records-without-inode", fmt.Sprint(ino), fmt.Sprintf("inode %d", ino),
			fmt.Sprintf("%s of an inode that does not exist", strings.Join(what, ", ")), tierRecords,
			func(context.Context) error { return c.dropRecords(ino) })
	}
	root := m.inodes[uint64(RootIno)]
	if root == nil || !root.corrupt && root.n.Mode&ModeType != ModeDir {
		m.add("missing-root", "1", "inode 1 /", "the root directory does not exist or is not a directory", 0, nil)
	}
	reach := m.reachable()
	for ino, in := range m.inodes {
		if in.corrupt {
			continue
		}
		n := &in.n
		obj := m.inodeObject(ino)
		id := fmt.Sprint(ino)
		isDir := n.Mode&ModeType == ModeDir
		want := in.names
		if isDir {
			want = 2 + in.subdirs
		}
		switch {
		case ino == uint64(RootIno):
			if n.Parent != uint64(RootIno) {
				m.add("dir-parent", id, obj, fmt.Sprintf("parent recorded as %d, want 1", n.Parent), tierRecords,
					func(context.Context) error { return c.setParent(ino, uint64(RootIno)) })
			}
		case in.names == 0 && in.orphanMark:
			// Unlinked while open; freed at the next start.
			continue
		case in.names == 0 && n.Nlink == 0:
			m.add("orphan-inode", id, obj, "no names, no links and not marked orphan: nothing can reach it", tierInodes,
				func(context.Context) error { return c.freeInode(ino) })
			continue
		case in.names == 0:
			m.add("lost-inode", id, obj, fmt.Sprintf("link count %d but no directory names it", n.Nlink), tierInodes,
				func(context.Context) error { return c.relink(ino) })
			continue
		case in.orphanMark:
			m.add("orphan-mark-live", id, obj, "marked orphan (to be freed) but still named", tierRecords,
				func(context.Context) error { return c.unmarkOrphan(ino) })
		}
		if n.Nlink != want {
			m.add("link-count", id, obj, fmt.Sprintf("link count %d, want %d", n.Nlink, want), tierCounts,
				func(context.Context) error { return c.setNlink(ino, want) })
		}
		if isDir && ino != uint64(RootIno) {
			switch {
			case in.names > 1:
				m.add("dir-names", id, obj, fmt.Sprintf("a directory with %d names", in.names), 0, nil)
			case n.Parent != in.named[0].parent:
				parent := in.named[0].parent
				m.add("dir-parent", id, obj, fmt.Sprintf("parent recorded as %d, but directory %d names it", n.Parent, parent), tierRecords,
					func(context.Context) error { return c.setParent(ino, parent) })
			}
			if !reach[ino] {
				m.add("disconnected-dir", id, obj, "named, but not reachable from the root (a cycle)", 0, nil)
			}
		}
		if n.Mode&ModeType == ModeRegular {
			if stored := in.extStored + uint64(in.inline); n.Stored != stored {
				m.add("stored-bytes", id, obj, fmt.Sprintf("stored bytes %d, extents and inline content hold %d", n.Stored, stored), tierCounts,
					func(context.Context) error { return c.setStored(ino, stored) })
			}
		}
	}
}

// reachable walks the directory tree from the root.
func (m *fsckModel) reachable() map[uint64]bool {
	children := map[uint64][]uint64{}
	for ino, in := range m.inodes {
		if in.corrupt || in.n.Mode&ModeType != ModeDir {
			continue
		}
		for _, nm := range in.named {
			children[nm.parent] = append(children[nm.parent], ino)
		}
	}
	seen := map[uint64]bool{uint64(RootIno): true}
	queue := []uint64{uint64(RootIno)}
	for len(queue) > 0 {
		d := queue[0]
		queue = queue[1:]
		for _, ch := range children[d] {
			if !seen[ch] {
				seen[ch] = true
				queue = append(queue, ch)
			}
		}
	}
	return seen
}
