package objstore

import (
	"context"
	"errors"
	"fmt"

	"github.com/shallot-storage/shallot/objstore/blob"
	"github.com/shallot-storage/shallot/objstore/disk"
)

// mapBlobErr turns the blob layer's errors into the store's vocabulary.
// Every other failure of the data layer is ErrIO, and the cause is kept
// as text only: a disk's EACCES or ENOENT must not pass for the store's
// ErrPermission or ErrNotExist (which errors.Is would match, since those
// are io/fs's sentinels) and reach a client as AccessDenied or NoSuchKey.
func mapBlobErr(err error) error {
	switch {
	case err == nil:
		return nil
	case errors.Is(err, disk.ErrNoSpace):
		return fmt.Errorf("%w: %v", ErrNoSpace, err)
	case errors.Is(err, blob.ErrTooLarge):
		return fmt.Errorf("%w: %v", ErrTooLarge, err)
	case errors.Is(err, context.Canceled), errors.Is(err, context.DeadlineExceeded):
		return err
	}
	return fmt.Errorf("%w: %v", ErrIO, err)
}
