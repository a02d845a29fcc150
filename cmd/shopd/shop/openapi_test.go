package shop_test

import (
	"bufio"
	"bytes"
	"net/http"
	"os"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/skranke/skranke/cmd/shopd/shop"
)

// documentedRoutes reads the paths and their operations from the OpenAPI
// document. It knows the document's layout (paths at two spaces, methods at
// four) rather than all of YAML, which keeps the module free of a YAML
// dependency.
func documentedRoutes(t *testing.T, doc []byte) []string {
	t.Helper()
	pathRe := regexp.MustCompile(`^  (/\S*):\s*$`)
	methodRe := regexp.MustCompile(`^    (get|put|post|delete|patch|head|options):`)
	var routes []string
	inPaths, path := false, ""
	sc := bufio.NewScanner(bytes.NewReader(doc))
	for sc.Scan() {
		line := sc.Text()
		switch {
		case line == "paths:":
			inPaths = true
		case inPaths && line != "" && !strings.HasPrefix(line, " "):
			inPaths = false
		case inPaths && pathRe.MatchString(line):
			path = pathRe.FindStringSubmatch(line)[1]
		case inPaths && path != "" && methodRe.MatchString(line):
			routes = append(routes, strings.ToUpper(methodRe.FindStringSubmatch(line)[1])+" "+path)
		}
	}
	if len(routes) == 0 {
		t.Fatal("no routes found in openapi.yaml")
	}
	slices.Sort(routes)
	return routes
}

func TestOpenAPICoversEveryRoute(t *testing.T) { eachStore(t, testOpenAPICoversEveryRoute) }

func testOpenAPICoversEveryRoute(t *testing.T, s store) {
	t.Parallel()
	doc, err := os.ReadFile("../openapi.yaml")
	if err != nil {
		t.Fatal(err)
	}
	srv := s.start(t)
	var served []string
	for _, r := range srv.Shop.Routes() {
		served = append(served, r.Method+" "+r.Path)
	}
	slices.Sort(served)
	documented := documentedRoutes(t, doc)
	for _, r := range served {
		if !slices.Contains(documented, r) {
			t.Errorf("the server answers %s, which openapi.yaml does not document", r)
		}
	}
	for _, r := range documented {
		if !slices.Contains(served, r) {
			t.Errorf("openapi.yaml documents %s, which the server does not answer", r)
		}
	}

	resp, err := http.Get(srv.URL + "/openapi.yaml")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var got bytes.Buffer
	got.ReadFrom(resp.Body)
	if resp.StatusCode != http.StatusOK || !bytes.Equal(got.Bytes(), doc) {
		t.Fatalf("GET /openapi.yaml: status %d, %d bytes; want 200 and the repository's %d bytes", resp.StatusCode, got.Len(), len(doc))
	}
	if !strings.Contains(string(doc), "\n  "+shop.APIPrefix+"/changes:\n") {
		t.Error("the document does not version its paths under " + shop.APIPrefix)
	}
}
