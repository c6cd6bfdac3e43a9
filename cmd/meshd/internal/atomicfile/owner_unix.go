//go:build unix

package atomicfile

import (
	"os"
	"syscall"
)

// chownLike copies old's owner and group to f. Only root may give a file
// away, so a failure is expected for other users and ignored: the file then
// belongs to whoever wrote it, as with any editor.
func chownLike(f *os.File, old os.FileInfo) {
	if st, ok := old.Sys().(*syscall.Stat_t); ok {
		_ = f.Chown(int(st.Uid), int(st.Gid))
	}
}
