package main

import (
	"os"

	"github.com/meshd/meshd/simulator"
)

func main() { os.Exit(simulator.Main(os.Args[1:], os.Stdout, os.Stderr)) }
