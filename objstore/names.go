package objstore

import (
	"fmt"
	"strings"
)

const (
	maxNameLen = 255  // one path segment, as in POSIX file systems
	maxKeyLen  = 1024 // S3's limit on a whole key
)

// checkName validates one directory entry name.
func checkName(name string) error {
	switch {
	case name == "" || name == "." || name == "..":
		return fmt.Errorf("name %q: %w", name, ErrInvalidName)
	case len(name) > maxNameLen:
		return fmt.Errorf("name of %d bytes: %w", len(name), ErrNameTooLong)
	case strings.ContainsAny(name, "/\x00"):
		return fmt.Errorf("name %q: %w", name, ErrInvalidName)
	}
	return nil
}

// splitKey turns an S3 key into path segments. A key ending in "/" names a
// directory (dir is true and the slash is not a segment).
func splitKey(key string) (segs []string, dir bool, err error) {
	if key == "" {
		return nil, false, fmt.Errorf("empty key: %w", ErrInvalidName)
	}
	if len(key) > maxKeyLen {
		return nil, false, fmt.Errorf("key of %d bytes: %w", len(key), ErrNameTooLong)
	}
	if strings.HasSuffix(key, "/") {
		dir = true
		key = key[:len(key)-1]
	}
	segs = strings.Split(key, "/")
	for _, s := range segs {
		if err := checkName(s); err != nil {
			return nil, false, fmt.Errorf("key %q: %w", key, err)
		}
	}
	return segs, dir, nil
}

// checkBucketName applies AWS's bucket naming rules.
func checkBucketName(name string) error {
	bad := func(why string) error { return fmt.Errorf("bucket %q %s: %w", name, why, ErrInvalidBucket) }
	if len(name) < 3 || len(name) > 63 {
		return bad("must be 3 to 63 characters")
	}
	for i := 0; i < len(name); i++ {
		c := name[i]
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '.' || c == '-') {
			return bad("may hold only lower-case letters, digits, '.' and '-'")
		}
	}
	first, last := name[0], name[len(name)-1]
	if first == '.' || first == '-' || last == '.' || last == '-' {
		return bad("must start and end with a letter or digit")
	}
	if strings.Contains(name, "..") {
		return bad("must not hold two adjacent periods")
	}
	if looksLikeIPv4(name) {
		return bad("must not be formatted as an IP address")
	}
	for _, p := range []string{"xn--", "sthree-", "amzn-s3-demo-"} {
		if strings.HasPrefix(name, p) {
			return bad("must not start with " + p)
		}
	}
	for _, sfx := range []string{"-s3alias", "--ol-s3", ".mrap", "--x-s3", "--table-s3"} {
		if strings.HasSuffix(name, sfx) {
			return bad("must not end with " + sfx)
		}
	}
	return nil
}

func looksLikeIPv4(s string) bool {
	parts := strings.Split(s, ".")
	if len(parts) != 4 {
		return false
	}
	for _, p := range parts {
		if p == "" || len(p) > 3 {
			return false
		}
		for i := 0; i < len(p); i++ {
			if p[i] < '0' || p[i] > '9' {
				return false
			}
		}
	}
	return true
}
