package main

import (
	"encoding/json"
	"fmt"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
	"github.com/tearline/tearline"
	"github.com/tearline/tearline/federation"
	"github.com/tearline/tearline/ingest"
	"github.com/tearline/tearline/normalize"
	"github.com/tearline/tearline/taxii"
)

// withPeers opens the store for a peer command; it fails when the store
// keeps no federation peers.
func withPeers(cmd *cobra.Command, dir string, fn func(db taxii.Backend, fs federation.Store) error) error {
	return withDB(cmd, dir, func(db taxii.Backend) error {
		fs, ok := db.(federation.Store)
		if !ok {
			return fmt.Errorf("this store does not keep federation peers yet")
		}
		return fn(db, fs)
	})
}

// peerFlags are the settings of peer add and update.
type peerFlags struct {
	p                      tearline.Peer
	org, orgType           string
	country, clearance     string
	communities, crosswalk []string
}

func (f *peerFlags) register(fs *pflag.FlagSet, add bool) {
	fs.StringVar(&f.p.URL, "url", "", "the peer's TAXII API root URL, such as https://hub.example/taxii2/default/")
	fs.StringVar(&f.p.Token, "token", "", "bearer token this server presents to the peer")
	fs.StringVar(&f.p.User, "user", "", "user name for HTTP Basic to the peer")
	fs.StringVar(&f.p.Password, "password", "", "password for HTTP Basic to the peer")
	fs.StringVar(&f.p.CertFile, "cert", "", "TLS client certificate file (PEM) presented to the peer")
	fs.StringVar(&f.p.KeyFile, "key", "", "TLS client key file (PEM)")
	fs.StringVar(&f.p.CAFile, "ca", "", "CA certificates (PEM) that verify the peer; default the system roots")
	fs.StringVar(&f.p.Ceiling, "ceiling", "", "highest TLP level the peer receives: clear, green, amber, amber+strict or red (default green)")
	fs.BoolVar(&f.p.OneWay, "one-way", false, "the peer is the low side of a one-way link: nothing goes to it but approved tear-line products (products-only push links), and its TAXII reads are refused")
	fs.StringSliceVar(&f.crosswalk, "crosswalk", nil, "map a marking definition of the peer to a local one, REMOTE-ID=LOCAL-ID (repeat; replaces the crosswalk)")
	fs.StringVar(&f.country, "country", "", "country of the peer's organization (ISO 3166-1)")
	fs.StringSliceVar(&f.communities, "community", nil, "community of the peer's organization, such as FVEY (repeat)")
	fs.StringVar(&f.clearance, "clearance", "", "clearance of the peer's organization: the highest classification it may receive and send")
	if add {
		fs.StringVar(&f.org, "org", "", "an existing organization that stands for the peer (default: a new one named after it)")
		fs.StringVar(&f.orgType, "org-type", "other", "type of the new organization: "+strings.Join(tearline.OrganizationTypes, ", "))
	}
}

// parseCrosswalk reads REMOTE=LOCAL pairs.
func parseCrosswalk(pairs []string) ([]tearline.MarkingMap, error) {
	var out []tearline.MarkingMap
	for _, p := range nonEmpty(pairs) {
		r, l, ok := strings.Cut(p, "=")
		if !ok {
			return nil, fmt.Errorf("--crosswalk %q: want REMOTE-ID=LOCAL-ID", p)
		}
		out = append(out, tearline.MarkingMap{Remote: strings.TrimSpace(r), Local: strings.TrimSpace(l)})
	}
	return out, nil
}

// profile applies the organization flags that were given to o and
// reports whether any was.
func (f *peerFlags) profile(cmd *cobra.Command, o *tearline.Organization) bool {
	changed := false
	if cmd.Flags().Changed("country") {
		o.Country, changed = f.country, true
	}
	if cmd.Flags().Changed("community") {
		o.Communities, changed = nonEmpty(f.communities), true
	}
	if cmd.Flags().Changed("clearance") {
		o.Clearance, changed = f.clearance, true
	}
	return changed
}

func newPeerCmd(s *streams) *cobra.Command {
	var dir string
	cmd := &cobra.Command{
		Use:     "peer",
		Aliases: []string{"peers"},
		Short:   "Manage federation peers, their pull and push links, and objects held for review",
		Long: `Federation: a peer is another TAXII 2.1 server. A pull link reads one of its
collections into a local collection; a push link sends what a local
collection receives to one of its collections. tearline serve runs the links
in the background (each at its interval, resuming from its cursor).

Each peer has an organization on this server: its profile (country,
communities, clearance) and the peer's --ceiling decide what it receives,
through the same access decision as every TAXII read; give that
organization API keys (tearline key create --org NAME) for the peer to
reach this server. Objects from the peer whose markings this server does
not know are held for review (peer held) until a --crosswalk entry or the
definition lets them be released.`,
	}
	dataDirFlag(cmd.PersistentFlags(), &dir)
	storeFlag(cmd.PersistentFlags())
	var levels []string
	levelsFlag(cmd.PersistentFlags(), &levels)

	var af peerFlags
	add := &cobra.Command{
		Use:   "add NAME --url URL [--token T | --user U --password P] [--cert C --key K] [--ceiling LEVEL] [--one-way] [--crosswalk REMOTE=LOCAL]... [--org ORG | --country CC --community C... --clearance L]",
		Short: "Add a peer and print its id",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			p := af.p
			p.Name = args[0]
			var err error
			if p.Crosswalk, err = parseCrosswalk(af.crosswalk); err != nil {
				return err
			}
			check := p
			check.OrgID = normalize.IdentityPrefix + "00000000-0000-4000-8000-000000000000"
			if _, err := normalize.Peer(&check); err != nil {
				return err
			}
			if err := checkClearance(af.clearance, levels); err != nil {
				return err
			}
			return withPeers(cmd, dir, func(db taxii.Backend, fs federation.Store) error {
				ctx := cmd.Context()
				var o *tearline.Organization
				if af.org != "" {
					if o, err = db.FindOrganization(ctx, af.org); err != nil {
						return fmt.Errorf("--org: %w", err)
					}
					if af.profile(cmd, o) {
						if err := db.UpdateOrganization(ctx, o); err != nil {
							return err
						}
					}
				} else {
					o = &tearline.Organization{Name: p.Name, Type: af.orgType}
					af.profile(cmd, o)
					if err := db.CreateOrganization(ctx, o); err != nil {
						return err
					}
				}
				p.OrgID = o.ID
				if err := fs.CreatePeer(ctx, &p); err != nil {
					return err
				}
				fmt.Fprintln(s.out, p.ID)
				return nil
			})
		},
	}
	af.register(add.Flags(), true)
	add.MarkFlagRequired("url")

	var uf peerFlags
	var rename string
	update := &cobra.Command{
		Use:   "update NAME [flags of add]",
		Short: "Change a peer's settings; only the flags given change",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := checkClearance(uf.clearance, levels); err != nil {
				return err
			}
			return withPeers(cmd, dir, func(db taxii.Backend, fs federation.Store) error {
				ctx := cmd.Context()
				p, err := fs.FindPeer(ctx, args[0])
				if err != nil {
					return err
				}
				fl := cmd.Flags()
				for name, dst := range map[string]*string{"url": &p.URL, "token": &p.Token, "user": &p.User, "password": &p.Password,
					"cert": &p.CertFile, "key": &p.KeyFile, "ca": &p.CAFile, "ceiling": &p.Ceiling, "name": &p.Name} {
					if fl.Changed(name) {
						v, _ := fl.GetString(name)
						*dst = v
					}
				}
				if fl.Changed("one-way") {
					p.OneWay = uf.p.OneWay
				}
				if fl.Changed("crosswalk") {
					if p.Crosswalk, err = parseCrosswalk(uf.crosswalk); err != nil {
						return err
					}
				}
				if _, err := normalize.Peer(p); err != nil {
					return err
				}
				o, err := db.FindOrganization(ctx, p.OrgID)
				if err != nil {
					return err
				}
				if uf.profile(cmd, o) {
					if err := db.UpdateOrganization(ctx, o); err != nil {
						return err
					}
				}
				return fs.UpdatePeer(ctx, p)
			})
		},
	}
	uf.register(update.Flags(), false)
	update.Flags().StringVar(&rename, "name", "", "new name of the peer")

	list := &cobra.Command{
		Use:   "list",
		Short: "List the peers",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			return withPeers(cmd, dir, func(db taxii.Backend, fs federation.Store) error {
				ps, err := fs.ListPeers(cmd.Context())
				if err != nil {
					return err
				}
				tw := tabwriter.NewWriter(s.out, 0, 4, 2, ' ', 0)
				fmt.Fprintln(tw, "NAME\tURL\tORGANIZATION\tCOUNTRY\tCEILING\tONE-WAY\tCROSSWALK\tLINKS")
				for _, p := range ps {
					o, err := db.FindOrganization(cmd.Context(), p.OrgID)
					if err != nil {
						return err
					}
					ls, err := fs.ListLinks(cmd.Context(), p.ID)
					if err != nil {
						return err
					}
					fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%v\t%d\t%d\n", p.Name, p.URL, o.Name, o.Country, p.Ceiling, p.OneWay, len(p.Crosswalk), len(ls))
				}
				return tw.Flush()
			})
		},
	}

	del := &cobra.Command{
		Use:   "delete NAME",
		Short: "Delete a peer with its links and held objects (its organization stays)",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return withPeers(cmd, dir, func(db taxii.Backend, fs federation.Store) error {
				p, err := fs.FindPeer(cmd.Context(), args[0])
				if err != nil {
					return err
				}
				return fs.DeletePeer(cmd.Context(), p.ID)
			})
		},
	}
	cmd.AddCommand(add, update, list, del, newLinkCmd(s, &dir), newHeldCmd(s, &dir, &levels))
	return cmd
}

func newLinkCmd(s *streams, dir *string) *cobra.Command {
	cmd := &cobra.Command{Use: "link", Short: "Manage the pull and push links of peers"}
	var (
		pull, push, productsOnly bool
		collection, remote       string
		interval                 time.Duration
	)
	add := &cobra.Command{
		Use:   "add PEER (--pull | --push) --collection LOCAL --remote REMOTE-COLLECTION [--interval 5m] [--products-only]",
		Short: "Add a link and print its id",
		Long: `Add a pull link (the peer's collection REMOTE-COLLECTION into the local
collection LOCAL) or a push link (LOCAL to REMOTE-COLLECTION). A push link
gives the peer's organization a read grant on LOCAL: a push sends what the
peer could read, as the access decision lets it. --products-only limits a
push link to approved tear-line products; a push link to a one-way peer
needs it. tearline serve picks the link up within seconds.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if pull == push {
				return fmt.Errorf("give --pull or --push")
			}
			return withPeers(cmd, *dir, func(db taxii.Backend, fs federation.Store) error {
				ctx := cmd.Context()
				p, err := fs.FindPeer(ctx, args[0])
				if err != nil {
					return err
				}
				c, err := db.FindCollection(ctx, collection)
				if err != nil {
					return fmt.Errorf("--collection: %w", err)
				}
				l := &tearline.Link{PeerID: p.ID, Direction: tearline.LinkPull, CollectionID: c.ID, RemoteCollection: remote,
					Interval: interval, ProductsOnly: productsOnly}
				if push {
					l.Direction = tearline.LinkPush
				}
				if err := normalize.Link(l); err != nil {
					return err
				}
				if push && p.OneWay && !productsOnly {
					return fmt.Errorf("peer %s is the low side of a one-way link: a push link to it needs --products-only", p.Name)
				}
				if push {
					grants, err := db.OrgGrants(ctx, p.OrgID)
					if err != nil {
						return err
					}
					if g := grants[c.ID]; !g.Read {
						g.CollectionID, g.OrgID, g.Read = c.ID, p.OrgID, true
						if err := db.SetGrant(ctx, g); err != nil {
							return err
						}
					}
				}
				if err := fs.CreateLink(ctx, l); err != nil {
					return err
				}
				fmt.Fprintln(s.out, l.ID)
				return nil
			})
		},
	}
	add.Flags().BoolVar(&pull, "pull", false, "pull the peer's collection into the local one")
	add.Flags().BoolVar(&push, "push", false, "push the local collection to the peer's")
	add.Flags().StringVar(&collection, "collection", "", "local collection (id or alias)")
	add.Flags().StringVar(&remote, "remote", "", "the peer's collection id (or, on a Tearline peer, alias)")
	add.Flags().DurationVar(&interval, "interval", 5*time.Minute, "time between two runs of the link")
	add.Flags().BoolVar(&productsOnly, "products-only", false, "push only approved tear-line products")
	add.MarkFlagRequired("collection")
	add.MarkFlagRequired("remote")

	list := &cobra.Command{
		Use:   "list [PEER]",
		Short: "List links with their state: cursor, last run, counts and last error",
		Args:  cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return withPeers(cmd, *dir, func(db taxii.Backend, fs federation.Store) error {
				ctx := cmd.Context()
				peerID := ""
				if len(args) == 1 {
					p, err := fs.FindPeer(ctx, args[0])
					if err != nil {
						return err
					}
					peerID = p.ID
				}
				ls, err := fs.ListLinks(ctx, peerID)
				if err != nil {
					return err
				}
				names := map[string]string{}
				tw := tabwriter.NewWriter(s.out, 0, 4, 2, ' ', 0)
				fmt.Fprintln(tw, "ID\tPEER\tDIRECTION\tLOCAL\tREMOTE\tINTERVAL\tLAST RUN\tOBJECTS\tREFUSED\tHELD\tWITHHELD\tCURSOR\tERROR")
				for _, l := range ls {
					if names[l.PeerID] == "" {
						if p, err := fs.FindPeer(ctx, l.PeerID); err == nil {
							names[l.PeerID] = p.Name
						}
					}
					local := l.CollectionID
					if c, err := db.FindCollection(ctx, l.CollectionID); err == nil {
						local = c.Alias
					}
					st, err := fs.LinkState(ctx, l.ID)
					if err != nil {
						return err
					}
					dir := l.Direction
					if l.ProductsOnly {
						dir += " (products)"
					}
					last := "never"
					if !st.LastRun.IsZero() {
						last = st.LastRun.Format(time.RFC3339)
					}
					fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%v\t%s\t%d\t%d\t%d\t%d\t%s\t%s\n", l.ID, names[l.PeerID], dir, local,
						l.RemoteCollection, l.Interval, last, st.Objects, st.Refused, st.Held, st.Withheld, st.Cursor, st.LastError)
				}
				return tw.Flush()
			})
		},
	}
	del := &cobra.Command{
		Use:   "delete ID",
		Short: "Delete a link and its state",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return withPeers(cmd, *dir, func(db taxii.Backend, fs federation.Store) error {
				return fs.DeleteLink(cmd.Context(), args[0])
			})
		},
	}
	cmd.AddCommand(add, list, del)
	return cmd
}

func newHeldCmd(s *streams, dir *string, levels *[]string) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "held",
		Short: "Review objects from peers held because their markings are unknown here",
		Long: `Objects a peer sends whose marking definitions this server neither knows nor
maps through the peer's crosswalk are held, never stored as unmarked.
Release them once the definition is known or the crosswalk maps it (they go
through the same checks as when they arrived), or drop them.`,
	}
	list := &cobra.Command{
		Use:   "list [PEER]",
		Short: "List held objects",
		Args:  cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return withPeers(cmd, *dir, func(db taxii.Backend, fs federation.Store) error {
				ctx := cmd.Context()
				peerID := ""
				if len(args) == 1 {
					p, err := fs.FindPeer(ctx, args[0])
					if err != nil {
						return err
					}
					peerID = p.ID
				}
				hs, err := fs.ListHeld(ctx, peerID)
				if err != nil {
					return err
				}
				tw := tabwriter.NewWriter(s.out, 0, 4, 2, ' ', 0)
				fmt.Fprintln(tw, "ID\tOBJECT\tVERSION\tHELD SINCE\tREASON")
				for _, h := range hs {
					fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", h.ID, h.ObjectID, h.Version, h.Created.Format(time.RFC3339), h.Reason)
				}
				return tw.Flush()
			})
		},
	}
	show := &cobra.Command{
		Use:   "show ID",
		Short: "Print a held object as the peer sent it",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return withPeers(cmd, *dir, func(db taxii.Backend, fs federation.Store) error {
				h, err := fs.FindHeld(cmd.Context(), args[0])
				if err != nil {
					return err
				}
				if json.Valid(h.Raw) {
					_, err = fmt.Fprintf(s.out, "%s\n", h.Raw)
				} else {
					_, err = fmt.Fprintf(s.out, "%q\n", h.Raw)
				}
				return err
			})
		},
	}
	var all string
	release := &cobra.Command{
		Use:   "release (ID | --all PEER)",
		Short: "Store held objects whose markings are now known or mapped",
		Long: `Retry a held object (or, with --all, every object held for PEER) with the
peer's current crosswalk and the marking definitions in the store. Exit
status 1 when an object stays held or is refused. Give
--classification-levels as for serve.`,
		Args: func(cmd *cobra.Command, args []string) error {
			if (all == "") == (len(args) == 1) {
				return fmt.Errorf("give a held object's ID or --all PEER")
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			policy, err := newPolicy(*levels)
			if err != nil {
				return err
			}
			return withPeers(cmd, *dir, func(db taxii.Backend, fs federation.Store) error {
				ctx := cmd.Context()
				if _, _, err := ingest.LoadDefinitions(ctx, db, policy.Definitions()); err != nil {
					return err
				}
				in := &federation.Inbound{Store: fs, Policy: policy}
				if all != "" {
					p, err := fs.FindPeer(ctx, all)
					if err != nil {
						return err
					}
					stored, remaining, err := in.ReleaseAll(ctx, p.ID)
					if err != nil {
						return err
					}
					fmt.Fprintf(s.out, "%d stored, %d still held\n", stored, remaining)
					if remaining > 0 {
						return invalidInput("%d objects stay held", remaining)
					}
					return nil
				}
				res, err := in.Release(ctx, args[0])
				if err != nil {
					return err
				}
				switch {
				case len(res.Held) > 0:
					return invalidInput("still held: %s", res.Held[0].Reason)
				case len(res.Refused) > 0:
					return invalidInput("refused: %s (drop it)", res.Refused[0].Message)
				}
				fmt.Fprintf(s.out, "stored (%d added, %d already there)\n", res.Added, res.Duplicates)
				return nil
			})
		},
	}
	release.Flags().StringVar(&all, "all", "", "release every object held for this peer")
	drop := &cobra.Command{
		Use:   "drop ID",
		Short: "Drop a held object",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return withPeers(cmd, *dir, func(db taxii.Backend, fs federation.Store) error {
				return fs.DeleteHeld(cmd.Context(), args[0])
			})
		},
	}
	cmd.AddCommand(list, show, release, drop)
	return cmd
}
