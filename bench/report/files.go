package report

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"time"

	"github.com/meshd/meshd/bench/harness"
)

// Meta describes how and where the results were measured.
type Meta struct {
	Command  string            `json:"command"`
	Note     string            `json:"note,omitempty"` // free text from --note, e.g. the commit measured
	Date     time.Time         `json:"date"`
	Duration string            `json:"duration"`
	Machine  Machine           `json:"machine"`
	Profile  string            `json:"profile"`
	Timings  map[string]string `json:"timings"` // the profile's fields
	Params   map[string]string `json:"params"`  // the scenario knobs
	Systems  []string          `json:"systems"`
	Nodes    []int             `json:"nodes"`
	Runs     int               `json:"runs"`
}

// Machine is the host the benchmark ran on.
type Machine struct {
	CPUs      int    `json:"cpus"`
	CPUModel  string `json:"cpu_model,omitempty"`
	GoVersion string `json:"go_version"`
	OS        string `json:"os"`
	Arch      string `json:"arch"`
	Kernel    string `json:"kernel,omitempty"`
}

// Series is one run's time series, for the plots.
type Series struct {
	System   string          `json:"system"`
	Scenario string          `json:"scenario"`
	Nodes    int             `json:"nodes"`
	Run      int             `json:"run"`
	Points   []harness.Point `json:"points"`
}

// SeriesOf extracts the join convergence curves and steady timelines.
func SeriesOf(ms []harness.Measurement) []Series {
	var out []Series
	for _, m := range ms {
		pts := m.Series
		if m.Scenario == harness.ScenarioSteady {
			pts = m.Timeline
		}
		if len(pts) == 0 {
			continue
		}
		out = append(out, Series{System: m.System, Scenario: m.Scenario, Nodes: m.Nodes, Run: m.Run, Points: pts})
	}
	return out
}

// Results is everything a report is rendered from.
type Results struct {
	Meta   Meta
	Rows   []Row
	Series []Series
}

// File names inside the output directory.
const (
	FileResults = "results.json"
	FileSeries  = "series.json"
	FileMeta    = "meta.json"
	FileReport  = "report.md"
)

// maxLoad bounds each JSON file Load reads: results of a long benchmark
// are a few megabytes; anything far larger is not ours.
const maxLoad = 256 << 20

// WriteJSON writes results.json, series.json and meta.json into dir.
func WriteJSON(dir string, r Results) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	for name, v := range map[string]any{FileResults: r.Rows, FileSeries: r.Series, FileMeta: r.Meta} {
		if err := writeFileAtomic(filepath.Join(dir, name), func(w io.Writer) error {
			enc := json.NewEncoder(w)
			enc.SetIndent("", " ")
			return enc.Encode(v)
		}); err != nil {
			return err
		}
	}
	return nil
}

// Load reads results.json, series.json and meta.json from dir; missing
// series or meta files are allowed (the plots or header are then thin).
func Load(dir string) (Results, error) {
	var r Results
	if err := loadJSON(filepath.Join(dir, FileResults), &r.Rows); err != nil {
		return r, err
	}
	if err := validateRows(r.Rows); err != nil {
		return r, fmt.Errorf("%s: %w", filepath.Join(dir, FileResults), err)
	}
	for name, v := range map[string]any{FileSeries: &r.Series, FileMeta: &r.Meta} {
		if err := loadJSON(filepath.Join(dir, name), v); err != nil && !errors.Is(err, os.ErrNotExist) {
			return r, err
		}
	}
	return r, nil
}

func loadJSON(path string, v any) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, maxLoad+1))
	if err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	if len(data) > maxLoad {
		return fmt.Errorf("%s: larger than %d bytes", path, maxLoad)
	}
	if err := ParseJSON(data, v); err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	return nil
}

// ParseJSON decodes one JSON document, refusing trailing data.
func ParseJSON(data []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(data))
	if err := dec.Decode(v); err != nil {
		return err
	}
	if dec.More() {
		return errors.New("trailing data after the JSON document")
	}
	return nil
}

// validateRows checks what rendering relies on.
func validateRows(rows []Row) error {
	for i, r := range rows {
		switch {
		case r.System == "" || len(r.System) > 64:
			return fmt.Errorf("row %d: system %q, want 1 to 64 bytes", i, r.System)
		case r.Scenario == "" || len(r.Scenario) > 64:
			return fmt.Errorf("row %d: scenario %q, want 1 to 64 bytes", i, r.Scenario)
		case r.Nodes < 1 || r.Nodes > 1<<20:
			return fmt.Errorf("row %d: nodes %d out of range", i, r.Nodes)
		case r.Runs < 0 || r.FailedRuns < 0 || r.FailedRuns > r.Runs:
			return fmt.Errorf("row %d: runs %d, failed_runs %d", i, r.Runs, r.FailedRuns)
		}
	}
	return nil
}

// writeFileAtomic writes through a temporary file and a rename, so a
// reader (or an interrupted run) never sees half a file.
func writeFileAtomic(path string, write func(io.Writer) error) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	if err := write(tmp); err != nil {
		tmp.Close()
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	// CreateTemp makes the file private; results are for everyone to read.
	if err := os.Chmod(tmp.Name(), 0o644); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), path)
}

// Merge combines results measured by separate invocations (a long
// benchmark run in parts): rows and series are concatenated, and a system,
// scenario and size measured twice is refused, since ratios are only
// meaningful between systems measured in the same invocation.
func Merge(parts []Results) (Results, error) {
	var out Results
	seen := map[[3]any]int{}
	for i, p := range parts {
		for _, r := range p.Rows {
			k := [3]any{r.System, r.Scenario, r.Nodes}
			if j, dup := seen[k]; dup {
				return out, fmt.Errorf("%s %s N=%d is in part %d and part %d", r.System, r.Scenario, r.Nodes, j+1, i+1)
			}
			seen[k] = i
			out.Rows = append(out.Rows, r)
		}
		out.Series = append(out.Series, p.Series...)
		m := p.Meta
		if i == 0 {
			out.Meta = m
			continue
		}
		out.Meta.Command += "\n  and: " + m.Command
		if m.Note != "" && m.Note != out.Meta.Note {
			out.Meta.Note += "; " + m.Note
		}
		if out.Meta.Date.IsZero() || (!m.Date.IsZero() && m.Date.Before(out.Meta.Date)) {
			out.Meta.Date = m.Date
		}
		out.Meta.Duration += " + " + m.Duration
		for _, n := range m.Nodes {
			if !slices.Contains(out.Meta.Nodes, n) {
				out.Meta.Nodes = append(out.Meta.Nodes, n)
			}
		}
	}
	SortRows(out.Rows)
	return out, nil
}
