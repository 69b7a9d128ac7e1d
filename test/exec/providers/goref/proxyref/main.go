// proxyref prints, for each URL given as an argument, the proxy Go's default HTTP client uses for
// it (net/http ProxyFromEnvironment: HTTP_PROXY, HTTPS_PROXY, NO_PROXY and their lower-case forms,
// read once per process), one JSON array of strings ("" for a direct connection) or an error text.
package main

import (
	"encoding/json"
	"net/http"
	"os"
)

func main() {
	out := []string{}
	for _, u := range os.Args[1:] {
		req, err := http.NewRequest("HEAD", u, nil)
		if err != nil {
			out = append(out, "error: "+err.Error())
			continue
		}
		p, err := http.ProxyFromEnvironment(req)
		switch {
		case err != nil:
			out = append(out, "error: "+err.Error())
		case p == nil:
			out = append(out, "")
		default:
			out = append(out, p.String())
		}
	}
	_ = json.NewEncoder(os.Stdout).Encode(out)
}
