// Command apiclientcheck reads a pvczar server through a client generated
// from its OpenAPI document: the protocols, and one protocol's title.
package main

import (
	"context"
	"fmt"
	"os"

	"apiclientcheck/apiclient"
)

func main() {
	if err := run(os.Args[1], os.Args[2]); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}

func run(base, protocol string) error {
	c, err := apiclient.NewClientWithResponses(base)
	if err != nil {
		return err
	}
	ctx := context.Background()
	limit := "500"
	list, err := c.ListProtocolsWithResponse(ctx, &apiclient.ListProtocolsParams{Limit: &limit})
	if err != nil {
		return err
	}
	if list.JSON200 == nil {
		return fmt.Errorf("list protocols: %s", list.Status())
	}
	items, _ := (*list.JSON200)["items"].([]any)
	one, err := c.GetProtocolWithResponse(ctx, protocol, &apiclient.GetProtocolParams{})
	if err != nil {
		return err
	}
	if one.JSON200 == nil {
		return fmt.Errorf("get protocol %s: %s", protocol, one.Status())
	}
	fmt.Printf("protocols: %d\n%s: %v\n", len(items), protocol, (*one.JSON200)["title"])
	return nil
}
