package main

import (
	"bufio"
	"os"
	"regexp"
	"testing"
)

// TestExample runs the example as the README shows it and checks what it
// prints: the two joins seen by the first member, then the crash of c.
func TestExample(t *testing.T) {
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	stdout := os.Stdout
	os.Stdout = w
	done := make(chan []string)
	go func() {
		var lines []string
		sc := bufio.NewScanner(r)
		for sc.Scan() {
			lines = append(lines, sc.Text())
		}
		done <- lines
	}()
	main()
	os.Stdout = stdout
	w.Close()
	lines := <-done
	want := []*regexp.Regexp{
		regexp.MustCompile(`^join b 127\.0\.0\.1:[0-9]+$`),
		regexp.MustCompile(`^join c 127\.0\.0\.1:[0-9]+$`),
		regexp.MustCompile(`^failed: c$`),
	}
	if len(lines) != len(want) {
		t.Fatalf("printed %q, want %d lines", lines, len(want))
	}
	for i, re := range want {
		if !re.MatchString(lines[i]) {
			t.Errorf("line %d: %q does not match %s", i+1, lines[i], re)
		}
	}
}
