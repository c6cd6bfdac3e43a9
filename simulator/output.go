package simulator

import (
	"encoding/csv"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
)

// WriteOutputs writes summary.json, timeline.csv and the PNG plots into dir
// (created if missing) and returns the paths written.
func WriteOutputs(dir string, sc *Scenario, r *Result) ([]string, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("--out: %w", err)
	}
	var files []string
	p := filepath.Join(dir, "summary.json")
	if err := writeJSON(p, r); err != nil {
		return files, err
	}
	files = append(files, p)
	p = filepath.Join(dir, "timeline.csv")
	if err := writeTimeline(p, r.Timeline); err != nil {
		return files, err
	}
	files = append(files, p)
	plots, err := writePlots(dir, sc, r)
	return append(files, plots...), err
}

func writeJSON(path string, r *Result) error {
	data, err := json.MarshalIndent(r, "", "  ")
	if err != nil {
		return err
	}
	return os.WriteFile(path, append(data, '\n'), 0o644)
}

var timelineHeader = []string{"t_s", "live", "correct", "correct_fraction", "messages", "bytes",
	"messages_per_node_s", "bytes_per_node_s", "delivered", "dropped", "false_positives_active", "events"}

// writeTimeline writes one CSV row per sample.
func writeTimeline(path string, rows []Sample) error {
	fh, err := os.Create(path)
	if err != nil {
		return err
	}
	w := csv.NewWriter(fh)
	_ = w.Write(timelineHeader)
	f := func(v float64, prec int) string { return strconv.FormatFloat(v, 'f', prec, 64) }
	u := func(v uint64) string { return strconv.FormatUint(v, 10) }
	for _, s := range rows {
		_ = w.Write([]string{
			f(s.TS, 3), strconv.Itoa(s.Live), strconv.Itoa(s.Correct), f(s.CorrectFraction, 4),
			u(s.Messages), u(s.Bytes), f(s.MessagesPerNodeS, 3), f(s.BytesPerNodeS, 1),
			u(s.Delivered), u(s.Dropped), strconv.Itoa(s.FalseActive), s.Events,
		})
	}
	w.Flush()
	if err := w.Error(); err != nil {
		fh.Close()
		return err
	}
	return fh.Close()
}
