package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"text/tabwriter"
	"time"

	"github.com/google/uuid"
	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
	"github.com/tearline/tearline/stix"
	"github.com/tearline/tearline/taxii/client"
)

// clientFlags are the connection settings of the taxii commands.
type clientFlags struct {
	token, user, password string
	cert, key, ca         string
	timeout               time.Duration
	retries               int
}

func (f *clientFlags) register(fs *pflag.FlagSet) {
	fs.StringVar(&f.token, "token", "", "bearer token (env TEARLINE_TAXII_TOKEN)")
	fs.StringVar(&f.user, "user", "", "user name for HTTP Basic")
	fs.StringVar(&f.password, "password", "", "password for HTTP Basic (env TEARLINE_TAXII_PASSWORD)")
	fs.StringVar(&f.cert, "cert", "", "TLS client certificate file (PEM)")
	fs.StringVar(&f.key, "key", "", "TLS client key file (PEM)")
	fs.StringVar(&f.ca, "ca", "", "CA certificates (PEM) that verify the server; default the system roots")
	fs.DurationVar(&f.timeout, "timeout", client.DefaultTimeout, "time allowed for one attempt of a request")
	fs.IntVar(&f.retries, "retries", client.DefaultRetries, "retries of a failed request (network errors, 429, 5xx), with backoff")
}

// client returns a TAXII client with the flags' settings.
func (f *clientFlags) client() (*client.Client, error) {
	if f.token == "" {
		f.token = os.Getenv("TEARLINE_TAXII_TOKEN")
	}
	if f.password == "" {
		f.password = os.Getenv("TEARLINE_TAXII_PASSWORD")
	}
	cert, pool, err := client.LoadTLS(f.cert, f.key, f.ca)
	if err != nil {
		return nil, err
	}
	retries := f.retries
	if retries == 0 {
		retries = -1 // none; the client's 0 means its default
	}
	return client.New(client.Options{Token: f.token, User: f.user, Password: f.password,
		Certificate: cert, RootCAs: pool, Timeout: f.timeout, Retries: retries})
}

func newTAXIICmd(s *streams) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "taxii",
		Short: "Talk to any TAXII 2.1 server: discover, list collections, get and add objects",
		Long: `A TAXII 2.1 client. Authenticate with --token (bearer), --user and --password
(HTTP Basic; a Tearline server takes its token as the password), or --cert and
--key (a TLS client certificate); --ca names the CAs that verify the server.
Failed requests (network errors, 429, 5xx, a response slower than --timeout)
are retried --retries times with exponential backoff, honouring Retry-After.

URLs: discover takes the discovery URL (https://host/taxii2/); the other
commands take an API root URL (https://host/taxii2/default/) and a collection id
(Tearline also takes its alias).`,
	}
	cmd.AddCommand(newTAXIIDiscoverCmd(s), newTAXIICollectionsCmd(s), newTAXIIGetCmd(s), newTAXIIAddCmd(s))
	return cmd
}

// writeIndented writes v as indented JSON.
func writeIndented(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	return enc.Encode(v)
}

func newTAXIIDiscoverCmd(s *streams) *cobra.Command {
	var cf clientFlags
	cmd := &cobra.Command{
		Use:   "discover URL",
		Short: "Show a server's discovery resource and its API roots",
		Long: `Read the discovery resource at URL and each API root it lists, and print them
as JSON; an API root that cannot be read is shown with the error.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := cf.client()
			if err != nil {
				return err
			}
			ctx := cmd.Context()
			d, err := c.Discover(ctx, args[0])
			if err != nil {
				return err
			}
			type rootJSON struct {
				URL string `json:"url"`
				*client.APIRoot
				Error string `json:"error,omitempty"`
			}
			out := struct {
				*client.Discovery
				Roots []rootJSON `json:"api_roots"`
			}{Discovery: d, Roots: []rootJSON{}}
			for _, u := range d.APIRoots {
				r, err := c.APIRoot(ctx, u)
				j := rootJSON{URL: u, APIRoot: r}
				if err != nil {
					j.Error = err.Error()
				}
				out.Roots = append(out.Roots, j)
			}
			return writeIndented(s.out, out)
		},
	}
	cf.register(cmd.Flags())
	return cmd
}

func newTAXIICollectionsCmd(s *streams) *cobra.Command {
	var (
		cf     clientFlags
		asJSON bool
	)
	cmd := &cobra.Command{
		Use:   "collections API-ROOT-URL",
		Short: "List the collections of an API root",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := cf.client()
			if err != nil {
				return err
			}
			cols, err := c.Collections(cmd.Context(), args[0])
			if err != nil {
				return err
			}
			if asJSON {
				if cols == nil {
					cols = []client.Collection{}
				}
				return writeIndented(s.out, cols)
			}
			tw := tabwriter.NewWriter(s.out, 0, 4, 2, ' ', 0)
			fmt.Fprintln(tw, "ID\tALIAS\tREAD\tWRITE\tTITLE")
			for _, col := range cols {
				fmt.Fprintf(tw, "%s\t%s\t%v\t%v\t%s\n", col.ID, col.Alias, col.CanRead, col.CanWrite, col.Title)
			}
			return tw.Flush()
		},
	}
	cf.register(cmd.Flags())
	cmd.Flags().BoolVar(&asJSON, "json", false, "print the collection resources as JSON")
	return cmd
}

func newTAXIIGetCmd(s *streams) *cobra.Command {
	var (
		cf                 clientFlags
		f                  client.Filter
		object, output     string
		manifest, versions bool
		maxPages           int
	)
	cmd := &cobra.Command{
		Use:   "get API-ROOT-URL COLLECTION",
		Short: "Get the objects, manifest or versions of a collection",
		Long: `Get the objects of a collection that match the filters, following the pages
(next, or the fallbacks the client knows), and write them as one STIX bundle,
each object exactly as the server sent it. --manifest writes the manifest
records instead, as JSON lines; --object ID gets the versions of one object,
and with --versions only the list of its versions.`,
		Args: cobra.ExactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) (err error) {
			c, err := cf.client()
			if err != nil {
				return err
			}
			ctx := cmd.Context()
			root, col := args[0], args[1]
			w := s.out
			if output != "" && output != "-" {
				file, err := os.Create(output)
				if err != nil {
					return err
				}
				defer func() {
					if cerr := file.Close(); err == nil {
						err = cerr
					}
				}()
				w = file
			}
			bw := bufio.NewWriter(w)
			defer func() {
				if ferr := bw.Flush(); err == nil {
					err = ferr
				}
			}()
			switch {
			case versions:
				if object == "" {
					return fmt.Errorf("--versions needs --object ID")
				}
				for pages := 0; maxPages == 0 || pages < maxPages; pages++ {
					vs, err := c.Versions(ctx, root, col, object, f)
					if err != nil {
						return err
					}
					for _, v := range vs.Versions {
						fmt.Fprintln(bw, v)
					}
					if !vs.More || vs.Next == "" {
						return nil
					}
					f.Next = vs.Next
				}
				return nil
			case manifest:
				enc := json.NewEncoder(bw)
				for pages := 0; maxPages == 0 || pages < maxPages; pages++ {
					m, err := c.Manifest(ctx, root, col, f)
					if err != nil {
						return err
					}
					for _, r := range m.Objects {
						if err := enc.Encode(r); err != nil {
							return err
						}
					}
					switch {
					case !m.More:
						return nil
					case m.Next != "":
						f.Next = m.Next
					case m.DateAddedLast != "" && m.DateAddedLast != f.AddedAfter:
						f.AddedAfter, f.Next = m.DateAddedLast, ""
					default:
						return fmt.Errorf("the manifest says more records follow but gives neither next nor X-TAXII-Date-Added-Last")
					}
				}
				return nil
			}
			fmt.Fprintf(bw, `{"type":"bundle","id":"bundle--%s","objects":[`, uuid.NewString())
			n, pages := 0, 0
			write := func(env *client.Envelope) {
				for _, o := range env.Objects {
					if n > 0 {
						bw.WriteByte(',')
					}
					bw.WriteString("\n")
					bw.Write(o)
					n++
				}
			}
			if object != "" {
				env, err := c.Object(ctx, root, col, object, f)
				if err != nil {
					return err
				}
				write(env)
			} else {
				for env, err := range c.Pages(ctx, root, col, f) {
					if err != nil {
						return err
					}
					write(env)
					if pages++; maxPages > 0 && pages >= maxPages {
						break
					}
				}
			}
			bw.WriteString("\n]}\n")
			fmt.Fprintf(s.errOut, "%d objects\n", n)
			return nil
		},
	}
	cf.register(cmd.Flags())
	fs := cmd.Flags()
	fs.StringVar(&f.AddedAfter, "added-after", "", "only objects added after this timestamp")
	fs.IntVar(&f.Limit, "limit", 0, "objects per page (the server's default when 0)")
	fs.StringSliceVar(&f.IDs, "id", nil, "match[id]: object ids")
	fs.StringSliceVar(&f.Types, "type", nil, "match[type]: object types")
	fs.StringSliceVar(&f.Versions, "version", nil, "match[version]: first, last, all or timestamps")
	fs.StringSliceVar(&f.SpecVersions, "spec-version", nil, "match[spec_version]: such as 2.1")
	fs.StringVar(&object, "object", "", "get the versions of this object only")
	fs.BoolVar(&versions, "versions", false, "with --object: list its versions only")
	fs.BoolVar(&manifest, "manifest", false, "write the manifest records (JSON lines) instead of the objects")
	fs.IntVar(&maxPages, "pages", 0, "stop after this many pages (0: all)")
	fs.StringVarP(&output, "output", "o", "", "write to FILE instead of standard output")
	return cmd
}

func newTAXIIAddCmd(s *streams) *cobra.Command {
	var (
		cf     clientFlags
		size   int
		noWait bool
	)
	cmd := &cobra.Command{
		Use:   "add API-ROOT-URL COLLECTION FILE...",
		Short: "Add the objects of STIX bundles to a collection",
		Long: `Post the objects of each STIX bundle (or single-object file) to a collection,
byte for byte, in envelopes of --envelope objects, wait for each status to be
complete (unless --no-wait), and print the failures the server reports. Exit
status 1 when the server refused any object.`,
		Args: cobra.MinimumNArgs(3),
		RunE: func(cmd *cobra.Command, args []string) error {
			if size <= 0 {
				return fmt.Errorf("--envelope must be positive")
			}
			c, err := cf.client()
			if err != nil {
				return err
			}
			ctx := cmd.Context()
			root, col := args[0], args[1]
			var total, ok, failed, pending int
			send := func(batch [][]byte) error {
				st, err := c.Add(ctx, root, col, batch)
				if err != nil {
					return err
				}
				if !noWait {
					if st, err = c.Wait(ctx, root, st); err != nil {
						return err
					}
				}
				total += len(batch)
				ok += st.SuccessCount
				failed += st.FailureCount
				pending += st.PendingCount
				for _, d := range st.Failures {
					fmt.Fprintf(s.out, "failed: %s %s: %s\n", d.ID, d.Version, d.Message)
				}
				return nil
			}
			for _, name := range args[2:] {
				file, err := os.Open(name)
				if err != nil {
					return err
				}
				var batch [][]byte
				_, err = stix.ReadDocument(file, func(res *stix.Result) error {
					batch = append(batch, res.Raw)
					if len(batch) < size {
						return nil
					}
					err := send(batch)
					batch = nil
					return err
				})
				file.Close()
				if err == nil && len(batch) > 0 {
					err = send(batch)
				}
				if err != nil {
					return fmt.Errorf("%s: %w", name, err)
				}
			}
			fmt.Fprintf(s.out, "%d objects sent: %d succeeded, %d failed, %d pending\n", total, ok, failed, pending)
			if failed > 0 {
				return invalidInput("the server refused %d objects", failed)
			}
			return nil
		},
	}
	cf.register(cmd.Flags())
	cmd.Flags().IntVar(&size, "envelope", 1000, "objects per envelope")
	cmd.Flags().BoolVar(&noWait, "no-wait", false, "do not wait for the statuses to be complete")
	return cmd
}
