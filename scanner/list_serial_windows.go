package scanner

import (
	"sort"
	"strconv"
	"strings"

	"golang.org/x/sys/windows/registry"

	"github.com/skranke/skranke"
)

// ListSerial returns the COM ports Windows knows of, in number order.
func ListSerial() ([]string, error) {
	k, err := registry.OpenKey(registry.LOCAL_MACHINE, `HARDWARE\DEVICEMAP\SERIALCOMM`, registry.QUERY_VALUE)
	if err == registry.ErrNotExist {
		return nil, nil
	}
	if err != nil {
		return nil, skranke.E("scanner.ListSerial", skranke.Other, err)
	}
	defer k.Close()
	names, err := k.ReadValueNames(0)
	if err != nil {
		return nil, skranke.E("scanner.ListSerial", skranke.Other, err)
	}
	var ports []string
	for _, n := range names {
		if v, _, err := k.GetStringValue(n); err == nil {
			ports = append(ports, v)
		}
	}
	num := func(p string) int { n, _ := strconv.Atoi(strings.TrimPrefix(strings.ToUpper(p), "COM")); return n }
	sort.Slice(ports, func(i, j int) bool { return num(ports[i]) < num(ports[j]) })
	return ports, nil
}
