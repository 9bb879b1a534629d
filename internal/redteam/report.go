package redteam

import (
	"encoding/json"
	"encoding/xml"
	"fmt"
	"io"
	"strings"
)

// Line is a result as one line of text: outcome, name, requests, detail.
func (r Result) Line() string {
	return fmt.Sprintf("%-8s %s (%d requests): %s", r.Outcome, r.Name, r.Requests, r.Detail)
}

// WriteText writes a result's line and, unless it was defended or
// skipped, its evidence indented below it.
func (r Result) WriteText(w io.Writer) {
	fmt.Fprintln(w, r.Line())
	if r.Outcome == Defended || r.Outcome == Skipped {
		return
	}
	for _, e := range r.Evidence {
		fmt.Fprintln(w, "           "+e)
	}
}

// Summary is the closing line of a run.
func (r *Report) Summary() string {
	s := fmt.Sprintf("%d passed, %d failed", r.Passed, r.Failed)
	if r.Skipped > 0 {
		s += fmt.Sprintf(", %d skipped", r.Skipped)
	}
	return s + fmt.Sprintf(" (%d requests sent to %s)", r.Requests, r.Target)
}

// WriteJSON writes the report as one JSON document.
func (r *Report) WriteJSON(w io.Writer) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(r)
}

// WriteJUnit writes the report as JUnit XML: a breach is a failure, a
// scenario that could not run an error.
func (r *Report) WriteJUnit(w io.Writer) error {
	type failure struct {
		Message string `xml:"message,attr"`
		Text    string `xml:",chardata"`
	}
	type testcase struct {
		Name      string    `xml:"name,attr"`
		Classname string    `xml:"classname,attr"`
		Time      float64   `xml:"time,attr"`
		Failure   *failure  `xml:"failure,omitempty"`
		Error     *failure  `xml:"error,omitempty"`
		Skipped   *struct{} `xml:"skipped,omitempty"`
	}
	type suite struct {
		XMLName  xml.Name   `xml:"testsuite"`
		Name     string     `xml:"name,attr"`
		Tests    int        `xml:"tests,attr"`
		Failures int        `xml:"failures,attr"`
		Errors   int        `xml:"errors,attr"`
		Skipped  int        `xml:"skipped,attr"`
		Cases    []testcase `xml:"testcase"`
	}
	s := suite{Name: "saifu redteam " + r.Target, Tests: len(r.Results), Skipped: r.Skipped}
	for _, res := range r.Results {
		incident, _, _ := strings.Cut(res.Name, "/")
		c := testcase{Name: res.Name, Classname: "redteam." + incident, Time: res.Duration.Seconds()}
		f := &failure{Message: res.Detail, Text: strings.Join(res.Evidence, "\n")}
		switch res.Outcome {
		case Breached:
			c.Failure = f
			s.Failures++
		case Failed:
			c.Error = f
			s.Errors++
		case Skipped:
			c.Skipped = &struct{}{}
		}
		s.Cases = append(s.Cases, c)
	}
	if _, err := io.WriteString(w, xml.Header); err != nil {
		return err
	}
	enc := xml.NewEncoder(w)
	enc.Indent("", "  ")
	if err := enc.Encode(s); err != nil {
		return err
	}
	_, err := io.WriteString(w, "\n")
	return err
}
