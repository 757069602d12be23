package objstore

import (
	"context"
	"time"
)

// Ino identifies a file for its whole life. Numbers are never reused, so an
// (Ino, generation) pair stays a valid handle across renames and restarts.
type Ino uint64

// RootIno is the root directory; its subdirectories are the S3 buckets.
const RootIno Ino = 1

// File type bits of Attr.Mode, as in stat(2).
const (
	ModeType    uint32 = 0o170000
	ModeDir     uint32 = 0o040000
	ModeRegular uint32 = 0o100000
	ModeSymlink uint32 = 0o120000
	ModeFIFO    uint32 = 0o010000
	ModeSocket  uint32 = 0o140000
	ModeChar    uint32 = 0o020000
	ModeBlock   uint32 = 0o060000
	ModePerm    uint32 = 0o7777
)

// Attr is what every door reports about a file.
type Attr struct {
	Ino   Ino
	Gen   uint64
	Mode  uint32 // type and permission bits, as in stat(2)
	Nlink uint32
	Uid   uint32
	Gid   uint32
	Rdev  uint32
	Size  uint64
	// Blocks counts 512-byte units actually stored (holes excluded).
	Blocks uint64
	Atime  time.Time
	Mtime  time.Time
	Ctime  time.Time
	Crtime time.Time
	// ETag is the S3 entity tag without quotes; empty until known (a file
	// written through the mount at random offsets gets it on demand).
	ETag        string
	ContentType string
}

// IsDir reports whether the attributes describe a directory.
func (a Attr) IsDir() bool { return a.Mode&ModeType == ModeDir }

// IsRegular reports whether the attributes describe a regular file.
func (a Attr) IsRegular() bool { return a.Mode&ModeType == ModeRegular }

// DirEntry is one name in a directory listing.
type DirEntry struct {
	Name string
	Ino  Ino
	Mode uint32 // type bits only are guaranteed
}

// Owner is the POSIX identity an access key or a mount caller acts as.
type Owner struct {
	Uid uint32
	Gid uint32
}

// SetAttrIn names the attributes SetAttr changes; nil fields stay.
type SetAttrIn struct {
	Mode  *uint32 // permission bits only; type bits are ignored
	Uid   *uint32
	Gid   *uint32
	Size  *uint64 // truncate (up or down)
	Atime *time.Time
	Mtime *time.Time
}

// NodeIn describes a node to create.
type NodeIn struct {
	Mode uint32 // type and permission bits
	Uid  uint32
	Gid  uint32
	Rdev uint32
}

// RenameFlags mirror renameat2(2).
type RenameFlags uint32

const (
	RenameNoReplace RenameFlags = 1 << 0
	RenameExchange  RenameFlags = 1 << 1
)

// XattrFlags mirror setxattr(2).
type XattrFlags uint32

const (
	XattrCreate  XattrFlags = 1
	XattrReplace XattrFlags = 2
)

// FSStats is what statfs reports.
type FSStats struct {
	BlockSize   uint32
	TotalBytes  uint64 // usable (data share of raw capacity)
	FreeBytes   uint64
	TotalInodes uint64
	FreeInodes  uint64
}

// Origin says which door caused a change, so a door can skip its own events.
type Origin uint8

const (
	OriginInternal Origin = iota
	OriginMount
	OriginS3
	OriginNFS
)

type originKey struct{}

// WithOrigin tags ctx with the door that acts through it.
func WithOrigin(ctx context.Context, o Origin) context.Context {
	return context.WithValue(ctx, originKey{}, o)
}

func originOf(ctx context.Context) Origin {
	o, _ := ctx.Value(originKey{}).(Origin)
	return o
}

// EventKind says what changed.
type EventKind uint8

const (
	// EventEntry: the name Parent/Name now points elsewhere, or nowhere.
	EventEntry EventKind = iota + 1
	// EventContent: the data or attributes of Ino changed.
	EventContent
)

// Event reports a committed change. Subscribers run on the goroutine that
// made the change, after every store lock is released and the change is
// durable, and before the call that made it returns: a subscriber that
// invalidates a cache therefore makes the change visible through its door
// by the time the other door's call returns. A subscriber must not call back
// into the store's mutating methods.
type Event struct {
	Kind   EventKind
	Origin Origin
	Parent Ino
	Name   string
	Ino    Ino
}
