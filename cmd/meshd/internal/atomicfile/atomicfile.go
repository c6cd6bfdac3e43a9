// Package atomicfile replaces files so that a crash at any moment leaves
// either the old content or the new one, never a torn file: write to a
// temporary file in the same directory, fsync it, rename it over the target
// and fsync the directory. meshd's snapshot and key file are written this way.
package atomicfile

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"syscall"
)

// Write replaces path with data. A new file gets perm; an existing file keeps
// its mode and, where the process may, its owner and group, so that an admin
// editing a key file as root does not lock the service user out of it.
func Write(path string, data []byte, perm os.FileMode) (err error) {
	dir, base := filepath.Split(path)
	if dir == "" {
		dir = "."
	}
	f, err := os.CreateTemp(dir, "."+base+".tmp-*")
	if err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	tmp := f.Name()
	defer func() {
		if err != nil {
			f.Close()
			os.Remove(tmp)
		}
	}()
	if err = keepAttributes(f, path, perm); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	if _, err = f.Write(data); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err = f.Sync(); err != nil {
		return fmt.Errorf("write %s: fsync: %w", path, err)
	}
	if err = f.Close(); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err = os.Rename(tmp, path); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	// The rename is only durable once the directory entry is on disk.
	if d, derr := os.Open(dir); derr == nil {
		serr := d.Sync()
		d.Close()
		if serr != nil && !errors.Is(serr, syscall.EINVAL) {
			return fmt.Errorf("write %s: fsync directory: %w", path, serr)
		}
	}
	return nil
}

// keepAttributes gives the temporary file the mode (and owner, if allowed)
// of the file it will replace, or perm for a new file.
func keepAttributes(f *os.File, path string, perm os.FileMode) error {
	old, err := os.Stat(path)
	if errors.Is(err, os.ErrNotExist) {
		return f.Chmod(perm)
	}
	if err != nil {
		return err
	}
	if !old.Mode().IsRegular() {
		return fmt.Errorf("%s is not a regular file", path)
	}
	if err := f.Chmod(old.Mode().Perm()); err != nil {
		return err
	}
	chownLike(f, old)
	return nil
}
