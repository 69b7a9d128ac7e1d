// proxyref shows what Go's default HTTP client does with the proxy variables (net/http
// ProxyFromEnvironment: HTTP_PROXY, HTTPS_PROXY, NO_PROXY and their lower-case forms, read once per
// process), the client pulumi-docker's registry requests use (kreuzwerker v4.6.0
// resource_docker_registry_image_funcs.go buildHttpClientForRegistry with pulumi-docker's patch
// 0002). For each URL argument it prints the proxy chosen ("" for a direct connection, or an error
// text); with -head first, it sends HEAD with http.DefaultClient and prints "<status>" or the error.
// One JSON array of strings.
package main

import (
	"encoding/json"
	"net/http"
	"os"
)

func main() {
	args := os.Args[1:]
	head := len(args) > 0 && args[0] == "-head"
	if head {
		args = args[1:]
	}
	out := []string{}
	for _, u := range args {
		req, err := http.NewRequest("HEAD", u, nil)
		if err != nil {
			out = append(out, "error: "+err.Error())
			continue
		}
		if head {
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				out = append(out, "error: "+err.Error())
				continue
			}
			resp.Body.Close()
			out = append(out, resp.Status)
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
