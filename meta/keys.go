package meta

import "encoding/binary"

// Key prefixes: one byte each, so every record kind is one contiguous range.
const (
	pfxInode       = 'i' // ino -> Inode
	pfxDirent      = 'd' // parent, sortName -> Dirent
	pfxExtent      = 'x' // ino, file offset -> Extent
	pfxContent     = 'c' // ino -> inline bytes
	pfxXattr       = 'a' // ino, name -> value
	pfxKey         = 'k' // access key -> AccessKey
	pfxUpload      = 'u' // bucket 0 key 0 uploadID -> Upload
	pfxPart        = 'p' // uploadID 0 part number -> Part
	pfxObjectParts = 'l' // ino -> []ObjectPart: part layout of a completed multipart object
	pfxOrphan      = 'o' // ino -> nothing: unlinked while open, freed at start-up
	pfxConfig      = 'm' // name -> value
	pfxSeq         = 's' // badger sequences
)

func key(prefix byte, ino uint64, rest ...byte) []byte {
	k := make([]byte, 9, 9+len(rest))
	k[0] = prefix
	binary.BigEndian.PutUint64(k[1:], ino)
	return append(k, rest...)
}

// SortName is how a directory entry sorts: a directory sorts as "name/", so
// that walking a directory in key order yields S3 key order ("a-c" < "a/b").
func SortName(name string, isDir bool) string {
	if isDir {
		return name + "/"
	}
	return name
}

func direntKey(parent uint64, sortName string) []byte {
	return append(key(pfxDirent, parent), sortName...)
}

func extentKey(ino, off uint64) []byte {
	return binary.BigEndian.AppendUint64(key(pfxExtent, ino), off)
}

func xattrKey(ino uint64, name string) []byte { return append(key(pfxXattr, ino), name...) }

func uploadKey(bucket, objKey, uploadID string) []byte {
	k := make([]byte, 0, 3+len(bucket)+len(objKey)+len(uploadID))
	k = append(k, pfxUpload)
	k = append(k, bucket...)
	k = append(k, 0)
	k = append(k, objKey...)
	k = append(k, 0)
	return append(k, uploadID...)
}

func partKey(uploadID string, number int) []byte {
	k := append([]byte{pfxPart}, uploadID...)
	k = append(k, 0)
	return binary.BigEndian.AppendUint32(k, uint32(number))
}
