package objstore

import (
	"context"
	"crypto/rand"
	"fmt"
	"strings"
	"time"

	"github.com/shallot-storage/shallot/meta"
)

// Keys manages S3 access keys. It needs only the metadata, so the admin
// command can use it while the daemon is stopped.
type Keys struct {
	db  *meta.DB
	now func() time.Time
}

// NewKeys returns the key registry kept in db.
func NewKeys(db *meta.DB) *Keys { return &Keys{db: db, now: time.Now} }

// LookupKey returns the key record; a disabled key is returned with
// Disabled set (the door decides how to refuse it).
func (s *Store) LookupKey(ctx context.Context, accessKey string) (AccessKey, error) {
	return s.keys.Lookup(ctx, accessKey)
}

// Keys returns the store's key registry.
func (s *Store) Keys() *Keys { return s.keys }

// Lookup returns one key record.
func (s *Keys) Lookup(ctx context.Context, accessKey string) (AccessKey, error) {
	var a meta.AccessKey
	err := s.db.View(func(x *meta.Txn) (err error) { a, err = x.AccessKey(accessKey); return })
	if err == meta.ErrNotFound {
		return AccessKey{}, fmt.Errorf("access key %q: %w", accessKey, ErrNotExist)
	}
	return keyOf(&a), err
}

func keyOf(a *meta.AccessKey) AccessKey {
	return AccessKey{AccessKey: a.AccessKey, SecretKey: a.SecretKey, Owner: Owner{Uid: a.Uid, Gid: a.Gid},
		Disabled: a.Disabled, Root: a.Root, Created: ns(a.Created)}
}

// List returns every access key.
func (s *Keys) List(ctx context.Context) ([]AccessKey, error) {
	var keys []meta.AccessKey
	if err := s.db.View(func(x *meta.Txn) (err error) { keys, err = x.AccessKeys(); return }); err != nil {
		return nil, err
	}
	out := make([]AccessKey, len(keys))
	for i := range keys {
		out[i] = keyOf(&keys[i])
	}
	return out, nil
}

// Create adds an access key; empty AccessKey or SecretKey are generated.
// It fails with ErrExist when the access key is taken.
func (s *Keys) Create(ctx context.Context, k AccessKey) (AccessKey, error) {
	if k.AccessKey == "" {
		k.AccessKey = randomString(20, upperAlnum)
	}
	if k.SecretKey == "" {
		k.SecretKey = randomString(40, secretAlphabet)
	}
	if err := checkKeyText(k.AccessKey, 3, 128); err != nil {
		return AccessKey{}, err
	}
	if err := checkKeyText(k.SecretKey, 8, 128); err != nil {
		return AccessKey{}, err
	}
	a := meta.AccessKey{AccessKey: k.AccessKey, SecretKey: k.SecretKey, Uid: k.Owner.Uid, Gid: k.Owner.Gid,
		Disabled: k.Disabled, Root: k.Root, Created: s.now().UnixNano()}
	err := s.db.Update(func(x *meta.Txn) error {
		if _, err := x.AccessKey(a.AccessKey); err == nil {
			return fmt.Errorf("access key %q: %w", a.AccessKey, ErrExist)
		} else if err != meta.ErrNotFound {
			return err
		}
		return x.PutAccessKey(&a)
	})
	return keyOf(&a), err
}

// Update changes a key record in place.
func (s *Keys) Update(ctx context.Context, accessKey string, change func(*AccessKey)) (AccessKey, error) {
	var out AccessKey
	err := s.db.Update(func(x *meta.Txn) error {
		a, err := x.AccessKey(accessKey)
		if err == meta.ErrNotFound {
			return fmt.Errorf("access key %q: %w", accessKey, ErrNotExist)
		}
		if err != nil {
			return err
		}
		k := keyOf(&a)
		change(&k)
		if err := checkKeyText(k.SecretKey, 8, 128); err != nil {
			return err
		}
		a.SecretKey, a.Uid, a.Gid, a.Disabled = k.SecretKey, k.Owner.Uid, k.Owner.Gid, k.Disabled
		out = keyOf(&a)
		return x.PutAccessKey(&a)
	})
	return out, err
}

// NewSecret returns a fresh random secret key.
func NewSecret() string { return randomString(40, secretAlphabet) }

// EnsureRoot makes the root key exist: the given pair when set (and
// replacing an earlier root pair), else the stored one, else a new one.
func (s *Keys) EnsureRoot(ctx context.Context, accessKey, secretKey string) (AccessKey, error) {
	keys, err := s.List(ctx)
	if err != nil {
		return AccessKey{}, err
	}
	for _, k := range keys {
		if !k.Root {
			continue
		}
		if accessKey == "" || k.AccessKey == accessKey && (secretKey == "" || k.SecretKey == secretKey) {
			return k, nil
		}
		if k.AccessKey == accessKey {
			return s.Update(ctx, accessKey, func(a *AccessKey) { a.SecretKey = secretKey })
		}
		// The environment names another root pair: retire the old one.
		if _, err := s.Update(ctx, k.AccessKey, func(a *AccessKey) { a.Disabled = true }); err != nil {
			return AccessKey{}, err
		}
	}
	return s.Create(ctx, AccessKey{AccessKey: accessKey, SecretKey: secretKey, Root: true})
}

const (
	upperAlnum     = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
	secretAlphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
)

func randomString(n int, alphabet string) string {
	raw := make([]byte, n)
	if _, err := rand.Read(raw); err != nil {
		panic(fmt.Sprintf("crypto/rand failed: %v", err)) // the kernel's RNG does not fail
	}
	var b strings.Builder
	for _, c := range raw {
		b.WriteByte(alphabet[int(c)%len(alphabet)])
	}
	return b.String()
}

func checkKeyText(s string, minLen, maxLen int) error {
	if len(s) < minLen || len(s) > maxLen {
		return fmt.Errorf("key text of %d characters (want %d to %d): %w", len(s), minLen, maxLen, ErrInvalid)
	}
	for i := 0; i < len(s); i++ {
		if s[i] <= ' ' || s[i] > '~' || s[i] == ':' {
			return fmt.Errorf("key text holds %q: %w", s[i], ErrInvalid)
		}
	}
	return nil
}
