package e2e

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// The admin console in a real browser: Debian's chromium, headless,
// driven over the DevTools protocol with chromedp. The page must load
// without a console error, show INFO's numbers, and its ops/sec chart must
// move when load is applied. Screenshots go to $DAMSELFLY_ARTIFACTS (or a
// temporary directory); DAMSELFLY_UPDATE_DOCS=1 also refreshes
// docs/admin-console.png for the README.

// obsBrowser starts headless chromium for the test and collects the
// page's console errors.
func obsBrowser(t *testing.T) (context.Context, *obsConsoleLog) {
	t.Helper()
	bin := obsTool(t, "chromium", "chromium")
	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(bin),
		chromedp.Headless,
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.NoFirstRun,
		chromedp.NoDefaultBrowserCheck,
		chromedp.UserDataDir(t.TempDir()),
		chromedp.WindowSize(1400, 1150),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-extensions", true),
		chromedp.Flag("disable-default-apps", true),
		chromedp.Flag("mute-audio", true),
		chromedp.Flag("hide-scrollbars", true),
	}
	actx, cancelA := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancelC := chromedp.NewContext(actx)
	// The first call starts the browser and must not carry a timeout
	// (chromedp ties the browser's life to that context).
	messages := chromedp.Console(ctx)
	tctx, cancelT := context.WithTimeout(ctx, 150*time.Second)
	cl := &obsConsoleLog{}
	done := make(chan struct{})
	go func() {
		defer close(done)
		for m, err := range messages {
			if err != nil {
				return
			}
			if m.Type == chromedp.ConsoleError || m.IsException() {
				cl.add(m.String() + " " + m.URL)
			}
		}
	}()
	t.Cleanup(func() {
		cancelT()
		cancelC() // closes the browser this test started
		cancelA()
		<-done
	})
	return tctx, cl
}

// obsConsoleLog collects what the page reports as errors: console.error,
// uncaught exceptions, and browser log entries of level error (failed
// loads, CSP violations).
type obsConsoleLog struct {
	mu   sync.Mutex
	errs []string
}

func (c *obsConsoleLog) add(s string) {
	c.mu.Lock()
	c.errs = append(c.errs, s)
	c.mu.Unlock()
}

func (c *obsConsoleLog) errors() []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]string(nil), c.errs...)
}

// obsScreenshot saves a full-page PNG as an artifact.
func obsScreenshot(t *testing.T, ctx context.Context, name string) []byte {
	t.Helper()
	png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
	if err != nil {
		t.Fatalf("screenshot: %v", err)
	}
	dir := os.Getenv("DAMSELFLY_ARTIFACTS")
	if dir == "" {
		dir = filepath.Join(os.TempDir(), "damselfly-artifacts")
	}
	os.MkdirAll(dir, 0o755)
	path := filepath.Join(dir, name)
	if err := os.WriteFile(path, png, 0o644); err != nil {
		t.Fatal(err)
	}
	t.Logf("screenshot: %s", path)
	return png
}

// obsDo runs browser steps.
func obsDo(t *testing.T, ctx context.Context, steps ...chromedp.Action[chromedp.Void]) {
	t.Helper()
	if err := chromedp.Do(ctx, steps...); err != nil {
		t.Fatalf("browser: %v", err)
	}
}

// obsText reads an element's text.
func obsText(t *testing.T, ctx context.Context, sel string) string {
	t.Helper()
	s, err := chromedp.Run(ctx, chromedp.TextContent(chromedp.CSS(sel)))
	if err != nil {
		t.Fatalf("text of %s: %v", sel, err)
	}
	return strings.TrimSpace(s)
}

// obsWaitJS polls a JavaScript expression until it is true.
func obsWaitJS(t *testing.T, ctx context.Context, expr, what string) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		if ok, err := chromedp.Run(ctx, chromedp.Evaluate[bool](expr)); err == nil && ok {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s (%s)", what, expr)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// obsNum parses a number the page formats with thousands separators.
func obsNum(t *testing.T, s string) int64 {
	t.Helper()
	n, err := strconv.ParseInt(strings.ReplaceAll(s, ",", ""), 10, 64)
	if err != nil {
		t.Fatalf("not a number: %q", s)
	}
	return n
}

func TestObsConsoleBrowser(t *testing.T) {
	s := obsStart(t, "--maxmemory", "64mb", "--slowlog-log-slower-than", "0")
	c := s.Client(t, 2)
	ctx0 := Ctx(t)
	for i := 0; i < 500; i++ {
		c.Set(ctx0, fmt.Sprintf("user:%03d", i), fmt.Sprintf(`{"name":"user %d","plan":"free"}`, i), 0)
	}
	for i := 0; i < 40; i++ {
		c.Set(ctx0, fmt.Sprintf("session:%02d", i), "token", time.Hour)
	}
	for i := 0; i < 300; i++ {
		c.Get(ctx0, fmt.Sprintf("user:%03d", i%600))
	}
	c.Do(ctx0, "CLIENT", "SETNAME", "obs-test")

	ctx, console := obsBrowser(t)
	obsDo(t, ctx, chromedp.Navigate(s.adminURL("/")))
	obsWaitJS(t, ctx, `document.getElementById("live-text").textContent === "live" && document.getElementById("keys-total").textContent !== "–"`, "first stats")

	// The numbers are INFO's. No command runs between the page's last poll
	// and INFO, except INFO itself, which moves none of these fields.
	time.Sleep(1500 * time.Millisecond)
	info := obsInfo(t, c, "all")
	infoNum := func(k string) int64 {
		n, _ := strconv.ParseInt(info[k], 10, 64)
		return n
	}
	var keys, expires int64
	for k, v := range info {
		if strings.HasPrefix(k, "db") {
			var n, e int64
			fmt.Sscanf(v, "keys=%d,expires=%d", &n, &e)
			keys += n
			expires += e
		}
	}
	for sel, want := range map[string]int64{
		"#keys-total":        keys,
		"#keys-expiring":     expires,
		"#hits":              infoNum("keyspace_hits"),
		"#misses":            infoNum("keyspace_misses"),
		"#clients-connected": infoNum("connected_clients"),
		"#expired-total":     infoNum("expired_keys"),
		"#evicted-total":     infoNum("evicted_keys"),
		"#clients-max":       infoNum("maxclients"),
	} {
		if got := obsNum(t, obsText(t, ctx, sel)); got != want {
			t.Errorf("%s shows %d, INFO says %d", sel, got, want)
		}
	}
	if got := obsText(t, ctx, "#mem-max"); got != "64 MiB" {
		t.Errorf("#mem-max shows %q for maxmemory %s", got, info["maxmemory"])
	}
	if got := obsText(t, ctx, "#server-port"); got != strconv.Itoa(s.Port) {
		t.Errorf("#server-port shows %q", got)
	}
	if got := obsText(t, ctx, "#snapshot-status"); got != "last save: never" {
		t.Errorf("#snapshot-status shows %q", got)
	}
	if got := obsText(t, ctx, "#keyspace-table tbody tr:first-child td:nth-child(2)"); obsNum(t, got) != keys {
		t.Errorf("db0 row shows %s keys, INFO %d", got, keys)
	}

	// A chart updates after load is applied.
	before, err := chromedp.Run(ctx, chromedp.Evaluate[string](`document.getElementById("chart-ops").dataset.points`))
	if err != nil {
		t.Fatal(err)
	}
	stop := time.Now().Add(2500 * time.Millisecond)
	for time.Now().Before(stop) {
		pipe := c.Pipeline()
		for i := 0; i < 200; i++ {
			pipe.Get(ctx0, fmt.Sprintf("user:%03d", i))
		}
		pipe.Exec(ctx0)
	}
	obsWaitJS(t, ctx, `(() => { const d = document.getElementById("chart-ops").dataset;
		return Number(d.last) > 100 && Number(d.points) > `+strconv.Quote(before)+`; })()`, "the ops/sec chart to show the load")
	png := obsScreenshot(t, ctx, "obs-console-overview.png")
	if os.Getenv("DAMSELFLY_UPDATE_DOCS") != "" {
		if err := os.WriteFile(obsRepo(t, "docs/admin-console.png"), png, 0o644); err != nil {
			t.Fatal(err)
		}
	}

	// Clients tab: CLIENT LIST, with the name set above.
	obsDo(t, ctx, chromedp.Click(chromedp.CSS(`button[data-tab="clients"]`)))
	obsWaitJS(t, ctx, `[...document.querySelectorAll("#clients-table tbody td")].some(td => td.textContent === "obs-test")`, "the named client in the clients table")

	// Slow log: everything is slower than 0 µs.
	obsDo(t, ctx, chromedp.Click(chromedp.CSS(`button[data-tab="slowlog"]`)))
	obsWaitJS(t, ctx, `document.querySelectorAll("#slowlog-table tbody tr").length > 0`, "slow log entries")

	// Configuration, filtered.
	obsDo(t, ctx,
		chromedp.Click(chromedp.CSS(`button[data-tab="config"]`)),
		chromedp.WaitVisible(chromedp.CSS(`#config-filter`)),
	)
	obsWaitJS(t, ctx, `document.querySelectorAll("#config-table tbody tr").length > 20`, "CONFIG GET *")
	obsDo(t, ctx, chromedp.SendKeys(chromedp.CSS(`#config-filter`), "maxmemory"))
	obsWaitJS(t, ctx, `[...document.querySelectorAll("#config-table tbody tr")].some(tr => tr.cells[0].textContent === "maxmemory" && tr.cells[1].textContent === "67108864")`, "maxmemory in the config table")

	// Key browser: SCAN with a pattern, then a preview.
	obsDo(t, ctx,
		chromedp.Click(chromedp.CSS(`button[data-tab="browser"]`)),
		chromedp.SetValue(chromedp.CSS(`#browser-match`), "session:*"),
		chromedp.SetValue(chromedp.CSS(`#browser-count`), "1000"),
		chromedp.Click(chromedp.CSS(`#browser-form button[type="submit"]`)),
	)
	obsWaitJS(t, ctx, `document.querySelectorAll("#browser-table tbody tr").length === 40 && document.getElementById("browser-status").textContent.includes("scan complete")`, "40 session keys")
	obsWaitJS(t, ctx, `[...document.querySelectorAll("#browser-table tbody tr")].every(tr => tr.cells[0].textContent.startsWith("session:") && tr.cells[1].textContent === "string" && tr.cells[2].textContent !== "none")`, "session rows with a TTL")
	obsDo(t, ctx, chromedp.Click(chromedp.CSS(`#browser-table tbody tr:first-child`)))
	obsWaitJS(t, ctx, `(document.querySelector("#browser-preview pre") || {}).textContent === "token"`, "the value preview")
	obsScreenshot(t, ctx, "obs-console-browser.png")

	if errs := console.errors(); len(errs) > 0 {
		t.Errorf("the page reported errors:\n%s", strings.Join(errs, "\n"))
	}
}

// TestObsConsoleBrowserAuth: with requirepass, the browser is refused
// without credentials and the page works with them.
func TestObsConsoleBrowserAuth(t *testing.T) {
	s := obsStart(t, "--requirepass", "pw")
	ctx, console := obsBrowser(t)
	// Headless Chromium cannot ask for the password: the 401 ends the load.
	resp, err := chromedp.Run(ctx, chromedp.NavigateResponse(s.adminURL("/")))
	if err == nil && (resp == nil || resp.Status != 401) {
		t.Errorf("without credentials: %v", resp)
	} else if err != nil && !strings.Contains(err.Error(), "AUTH") {
		t.Errorf("without credentials: %v", err)
	}
	url := fmt.Sprintf("http://default:pw@127.0.0.1:%d/", s.AdminPort)
	obsDo(t, ctx, chromedp.Navigate(url))
	obsWaitJS(t, ctx, `document.getElementById("live-text").textContent === "live"`, "the page to poll with credentials")
	// The 401 of the first navigation is the only error expected.
	for _, e := range console.errors() {
		if !strings.Contains(e, "401") {
			t.Errorf("page error: %s", e)
		}
	}
}
