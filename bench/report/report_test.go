package main

import (
	"bytes"
	"encoding/json"
	"encoding/xml"
	"io"
	"math"
	"strings"
	"testing"
)

const header = "scenario,title,tool,a,b,targets,round,seq,side,server,requests,rps,p50_ms,p99_ms,cpu_us_per_req,client_cpu_us_per_req,errors,wall_s\n"

// Two rounds of A B B A for one scenario, and one scenario whose B side failed.
const fixture = header +
	`get,"GET, P1",rb,dfly,redis,"rps>=1.0;cpu<=1.0;p99<=1.0",1,1,A,dfly,1000,100,0.2,1.0,5,NA,0,1
get,"GET, P1",rb,dfly,redis,"rps>=1.0;cpu<=1.0;p99<=1.0",1,2,B,redis,1000,90,0.3,2.0,4,NA,0,1
get,"GET, P1",rb,dfly,redis,"rps>=1.0;cpu<=1.0;p99<=1.0",1,3,B,redis,1000,110,0.3,2.0,4,NA,0,1
get,"GET, P1",rb,dfly,redis,"rps>=1.0;cpu<=1.0;p99<=1.0",1,4,A,dfly,1000,300,0.2,1.0,5,NA,0,1
get,"GET, P1",rb,dfly,redis,"rps>=1.0;cpu<=1.0;p99<=1.0",2,1,A,dfly,1000,200,0.2,1.0,5,NA,0,1
get,"GET, P1",rb,dfly,redis,"rps>=1.0;cpu<=1.0;p99<=1.0",2,2,B,redis,1000,100,0.3,2.0,4,NA,0,1
get,"GET, P1",rb,dfly,redis,"rps>=1.0;cpu<=1.0;p99<=1.0",2,3,B,redis,1000,100,0.3,2.0,4,NA,0,1
get,"GET, P1",rb,dfly,redis,"rps>=1.0;cpu<=1.0;p99<=1.0",2,4,A,dfly,1000,200,0.2,1.0,5,NA,0,1
mix,"Directus <mix> & co",lg,dfly,redis,rps>=1.5,1,1,A,dfly,500,50,0.4,4,7,3.5,2,2
mix,"Directus <mix> & co",lg,dfly,redis,rps>=1.5,1,2,B,redis,NA,NA,NA,NA,NA,NA,0,2
`

func summaryOf(t *testing.T, csv string) []scenario {
	t.Helper()
	runs, err := readRuns(strings.NewReader(csv))
	if err != nil {
		t.Fatal(err)
	}
	return summarize(runs)
}

func TestSummaryMediansRatiosNoise(t *testing.T) {
	sum := summaryOf(t, fixture)
	if len(sum) != 2 || sum[0].ID != "get" || sum[1].ID != "mix" {
		t.Fatalf("scenarios %+v", sum)
	}
	g := sum[0]
	// A rps 100, 300, 200, 200 -> median 200, spread (300-100)/200 = 100 %.
	if g.A.RPS != 200 || g.B.RPS != 100 || g.Ratio.RPS != 2 {
		t.Errorf("rps A %v B %v ratio %v; want 200, 100, 2", g.A.RPS, g.B.RPS, g.Ratio.RPS)
	}
	if g.A.RPSSpread != 100 || math.Abs(float64(g.B.RPSSpread)-20) > 1e-9 || g.RPSNoise != 100 || g.CPUNoise != 0 {
		t.Errorf("spreads A %v B %v, noise rps %v cpu %v; want 100, 20, 100, 0", g.A.RPSSpread, g.B.RPSSpread, g.RPSNoise, g.CPUNoise)
	}
	if g.Ratio.CPU != 1.25 || g.Ratio.P99 != 0.5 || g.A.Runs != 4 || g.B.Runs != 4 {
		t.Errorf("cpu ratio %v p99 ratio %v runs %d/%d", g.Ratio.CPU, g.Ratio.P99, g.A.Runs, g.B.Runs)
	}
	want := []string{"ok rps 2.00", "MISS cpu 1.25", "ok p99 0.50"}
	for i, tg := range g.Targets {
		if tg.String() != want[i] {
			t.Errorf("target %d = %q, want %q", i, tg.String(), want[i])
		}
	}
	m := sum[1]
	if m.B.Failed != 1 || !m.Ratio.RPS.nan() || !m.Targets[0].Value.nan() || m.Targets[0].String() != "rps>=1.5 ?" {
		t.Errorf("failed side: %+v targets %v", m.B, m.Targets)
	}
}

func TestTargetsRoundLikeTheTable(t *testing.T) {
	// 0.996 prints as 1.00, so it meets ">=1.0"; 1.004 prints as 1.00 and meets "<=1.0".
	r := ratios{RPS: 0.996, CPU: 1.004, P50: 1, P99: 1.006}
	got := evalTargets("rps>=1.0; cpu<=1.0;p99<=1.0;bogus>=1", r)
	if !got[0].OK || !got[1].OK || got[2].OK || !got[3].Value.nan() {
		t.Errorf("targets %+v", got)
	}
}

func TestTableJSONAndSVG(t *testing.T) {
	sum := summaryOf(t, fixture)
	var table bytes.Buffer
	writeTable(&table, sum)
	for _, want := range []string{"get ", "dfly vs redis", "2.00", "MISS cpu 1.25", "failed runs A 0 B 1"} {
		if !strings.Contains(table.String(), want) {
			t.Errorf("table lacks %q:\n%s", want, table.String())
		}
	}

	var js bytes.Buffer
	if err := writeJSON(&js, sum, map[string]string{"mode": "test"}); err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Meta      map[string]string `json:"meta"`
		Scenarios []struct {
			ID    string              `json:"id"`
			Ratio map[string]*float64 `json:"ratio"`
			A     map[string]any      `json:"a"`
		} `json:"scenarios"`
	}
	if err := json.Unmarshal(js.Bytes(), &doc); err != nil {
		t.Fatalf("JSON: %v\n%s", err, js.String())
	}
	if doc.Meta["mode"] != "test" || len(doc.Scenarios) != 2 || *doc.Scenarios[0].Ratio["rps"] != 2 {
		t.Errorf("JSON: %s", js.String())
	}
	if doc.Scenarios[1].Ratio["rps"] != nil {
		t.Errorf("a failed side's ratio must be null: %s", js.String())
	}

	var svg bytes.Buffer
	if err := writeSVG(&svg, sum, "title & <more>", "sub"); err != nil {
		t.Fatal(err)
	}
	// Well-formed XML, one bar per known ratio (3 for get, none for mix,
	// whose B side failed) plus 3 legend squares and the background.
	dec := xml.NewDecoder(&svg)
	rects, texts := 0, []string{}
	for {
		tok, err := dec.Token()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatalf("SVG is not well-formed XML: %v", err)
		}
		switch el := tok.(type) {
		case xml.StartElement:
			if el.Name.Local == "rect" {
				rects++
			}
		case xml.CharData:
			texts = append(texts, string(el))
		}
	}
	if rects != 1+3+3 {
		t.Errorf("%d rects, want 7", rects)
	}
	all := strings.Join(texts, "|")
	for _, want := range []string{"title & <more>", "2.00", "0.80", "2.00", "n/a"} {
		if !strings.Contains(all, want) {
			t.Errorf("SVG text lacks %q: %s", want, all)
		}
	}
}

func TestReadRunsRejectsBadInput(t *testing.T) {
	if _, err := readRuns(strings.NewReader("scenario,title\n")); err == nil {
		t.Error("header without the needed columns accepted")
	}
	if _, err := readRuns(strings.NewReader(header + "x,t,rb,a,b,,1,1,C,a,1,1,1,1,1,1,0,1\n")); err == nil {
		t.Error("side C accepted")
	}
}
