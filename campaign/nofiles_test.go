package campaign_test

import (
	"go/ast"
	"go/parser"
	"go/token"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// fileOps are the calls that open, create, rename, remove or look at a file, by the import path
// of their package: none belongs in package campaign, which reads a ContactSource and writes a
// ResultWriter and a journal handed to it. Package store owns a campaign's files.
var fileOps = map[string][]string{
	"os": {"Open", "OpenFile", "OpenRoot", "Create", "CreateTemp", "MkdirTemp", "Mkdir", "MkdirAll", "Remove", "RemoveAll",
		"Rename", "WriteFile", "ReadFile", "ReadDir", "Lstat", "Stat", "Truncate", "Chmod", "Chtimes", "Symlink", "Link",
		"Readlink", "DirFS", "CopyFS"},
	"io/ioutil":     {"ReadFile", "WriteFile", "ReadDir", "TempFile", "TempDir"},
	"path/filepath": {"Glob", "Walk", "WalkDir", "EvalSymlinks", "Abs"},
	"github.com/bolna-campaign/bolna-campaign/campaign/contacts": {"ListDialect"},
	"github.com/bolna-campaign/bolna-campaign/campaign/journal": {"OpenNoFollow", "AcquireLock", "Locked", "CheckFiles",
		"OpenState", "ReadState", "Rebuild"},
}

// TestNoFileOperations: no file of package campaign (its tests aside) calls a function that
// touches a file by its path. A call put back (os.Open of the list, the lock taken in Open) is
// named, with its place.
func TestNoFileOperations(t *testing.T) {
	t.Parallel()
	names, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	fset := token.NewFileSet()
	checked := 0
	for _, name := range names {
		if strings.HasSuffix(name, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(fset, name, nil, parser.SkipObjectResolution)
		if err != nil {
			t.Fatal(err)
		}
		checked++
		for _, call := range fileCalls(f) {
			t.Errorf("%s: %s: package campaign touches no file (package store does)", fset.Position(call.Pos()), call.name)
		}
	}
	if checked == 0 {
		t.Fatal("no file of the package was checked")
	}
}

type fileCall struct {
	ast.Node
	name string
}

// fileCalls are the calls of fileOps in f, by the names f imports their packages under.
func fileCalls(f *ast.File) []fileCall {
	refused := map[string]map[string]bool{} // the package's local name → its refused functions
	for _, imp := range f.Imports {
		path, _ := strconv.Unquote(imp.Path.Value)
		ops, ok := fileOps[path]
		if !ok {
			continue
		}
		local := path[strings.LastIndex(path, "/")+1:]
		if imp.Name != nil {
			local = imp.Name.Name
		}
		refused[local] = map[string]bool{}
		for _, op := range ops {
			refused[local][op] = true
		}
	}
	var calls []fileCall
	ast.Inspect(f, func(n ast.Node) bool {
		sel, ok := n.(*ast.SelectorExpr) // called or passed as a value alike
		if !ok {
			return true
		}
		if pkg, ok := sel.X.(*ast.Ident); ok && refused[pkg.Name][sel.Sel.Name] {
			calls = append(calls, fileCall{sel, pkg.Name + "." + sel.Sel.Name})
		}
		return true
	})
	return calls
}
