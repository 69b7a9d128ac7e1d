// scanref reads stdin with a default bufio.Scanner, as pulumi-command v1.2.1's output logger does
// (provider/pkg/provider/util/util.go LogOutput, lines 32-53), and prints one JSON line: the
// tokens it returned and the error it stopped with ("" at a clean end of input).
package main

import (
	"bufio"
	"encoding/json"
	"os"
)

func main() {
	s := bufio.NewScanner(os.Stdin)
	var tokens []string
	for s.Scan() {
		tokens = append(tokens, s.Text())
	}
	msg := ""
	if err := s.Err(); err != nil {
		msg = err.Error()
	}
	_ = json.NewEncoder(os.Stdout).Encode(map[string]interface{}{"tokens": tokens, "error": msg})
}
