package objstore

import (
	"errors"
	"fmt"
	"io/fs"

	"github.com/shallot-storage/shallot/objstore/blob"
	"github.com/shallot-storage/shallot/objstore/disk"
)

// mapBlobErr turns the blob layer's errors into the store's vocabulary. A
// blob that metadata names but no disk holds is lost data: ErrIO.
func mapBlobErr(err error) error {
	switch {
	case errors.Is(err, disk.ErrNoSpace):
		return fmt.Errorf("%w: %w", ErrNoSpace, err)
	case errors.Is(err, blob.ErrTooLarge):
		return fmt.Errorf("%w: %w", ErrTooLarge, err)
	case errors.Is(err, blob.ErrUnreadable), errors.Is(err, fs.ErrNotExist):
		return fmt.Errorf("%w: %w", ErrIO, err)
	}
	return err
}
