package poll

import (
	"errors"
	"fmt"
)

// ErrNoAddresses is the failure of a poll whose source answered but named no
// seeds. It keeps the last good list like any other failure: an empty DNS
// answer during a rolling restart must not make the mesh forget its seeds.
var ErrNoAddresses = errors.New("source returned no addresses")

// PartialError marks a poll that produced a usable list despite failures of
// some of its parts (one name of a static list did not resolve, one line of
// a hosts file is malformed). The Poller delivers the list and still counts
// and logs the error. Build one with Partial.
type PartialError struct{ Err error }

func (e *PartialError) Error() string { return "partial result: " + e.Err.Error() }
func (e *PartialError) Unwrap() error { return e.Err }

// Partial wraps err as a *PartialError; nil stays nil. A Func returns
// (list, Partial(err)) when list is worth using although part of the source
// failed. With an empty list it counts as a plain failure.
func Partial(err error) error {
	if err == nil {
		return nil
	}
	return &PartialError{Err: err}
}

// panicError reports a Func that panicked: the poll fails instead of the
// process.
type panicError struct{ v any }

func (e panicError) Error() string { return fmt.Sprintf("poll function panicked: %v", e.v) }
