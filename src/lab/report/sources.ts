/**
 * Where each claim comes from. The lecture notes are the course's seeds (their slide numbers
 * as the notes print them); the papers by section, figure or table.
 */
export const SOURCES = {
  cs162FileDistribution:
    'Joseph and Stoica, CS162 Lecture 23 "Peer-to-Peer Systems" (UC Berkeley, Spring 2012), ' +
    'slides 23.41-23.46 "Efficient Large File Distribution"',
  cs162Ttl:
    'Joseph and Stoica, CS162 Lecture 23, slide 23.15 "Gnutella: Time To Live (TTL)" ("typically, Gnutella uses TTL = 7")',
  cs162Pieces:
    'Joseph and Stoica, CS162 Lecture 23, slide 23.49 (piece selection: "select rarest piece next") ' +
    'and slide 23.50 "Handling Freeriders" (choking, a variant of tit-for-tat)',
  cs162Ultrapeers:
    'Joseph and Stoica, CS162 Lecture 23, slides 23.21-23.24 "Two-Level Hierarchy" (leaves send ' +
    'queries to their ultrapeers, which answer or flood the other ultrapeers)',
  cs162Can:
    'Joseph and Stoica, CS162 Lecture 23, slides 23.32-23.39 "CAN Example: Two Dimensional Space" (8 x 8 space, nodes n1..n5, items f1..f4)',
  kuroseFlooding:
    'Kurose and Ross, "P2P file sharing" notes (Application Layer), slide 27 ' +
    '"Gnutella: limited scope query": query 7 neighbours, maximum hop count 10',
  kuroseHashRanges:
    'Kurose and Ross, "P2P file sharing" notes (Application Layer), slides 42-44 ' +
    '"DHT Step 1: The Hash" (h("NGC\'02 Tutorial Notes") = 8045, ranges over 0-9999)',
  rossCircularDht:
    '"P2P file sharing" notes after K.W. Ross, J. Kurose, D. Rubenstein: "Circular DHT" ' +
    '(n = 4; peers 1, 3, 4, 5, 8, 10, 12, 14; key 13 -> 14, key 15 -> 1) and "Example: Chord Routing" ' +
    "(s's i-th neighbour is successor(s + 2^i))",
  kuroseCentralDirectory:
    'Kurose and Ross, "P2P file sharing" notes (Application Layer), slide 20 "P2P: problems ' +
    'with centralized directory" (single point of failure, performance bottleneck)',
  kuroseSupernodeFailure:
    'Kurose and Ross, "P2P file sharing" notes (Application Layer), slide 33 "KaZaA: Overlay ' +
    'maintenance" ("If supernode goes down, node obtains updated list and chooses new supernode")',
  rossSupernodes:
    '"P2P file sharing" notes after K.W. Ross, J. Kurose, D. Rubenstein: "P2P: centralized directory" ' +
    '(single point of failure, performance bottleneck) and "Hierarchical Overlay" (supernodes)',
  rossMapReduce:
    '"P2P file sharing" notes after K.W. Ross et al., MapReduce part: worker failure is detected ' +
    'by heartbeats and in-progress tasks are re-executed',
  chord:
    'Stoica et al., "Chord: A Scalable Peer-to-peer Lookup Service for Internet Applications", ' +
    'SIGCOMM 2001, section 6.3, Fig. 10 (mean path length about 1/2 log2 N)',
  chordFailure:
    'Stoica et al., Chord, SIGCOMM 2001, section 6.4, Fig. 11 (lookup failures after a fraction p of nodes fail simultaneously)',
  pastry:
    'Rowstron and Druschel, "Pastry", Middleware 2001, section 2.2 (routing in fewer than ' +
    'ceil(log_{2^b} N) steps, b = 4) and Fig. 4',
  can:
    'Ratnasamy et al., "A Scalable Content-Addressable Network", SIGCOMM 2001, section 2.1 ' +
    '(average path length (d/4)(n^(1/d)), 2d neighbours)',
  kademlia:
    'Maymounkov and Mazieres, "Kademlia", IPTPS 2002, section 2.3 (a lookup contacts ' +
    'O(log n) nodes; the lecture bound log2 N)',
  kumarRoss:
    'Kumar and Ross, "Peer-Assisted File Distribution: The Minimum Distribution Time", ' +
    'HotWeb 2006, Theorem 1 (max(F/u_s, F/d_min, NF/(u_s + sum u_i)))',
  cohen:
    'Cohen, "Incentives Build Robustness in BitTorrent", P2PEcon 2003, section 2.4 ' +
    '(rarest first, random first piece), sections 3.2-3.3 (choking, optimistic unchoking)',
  ford:
    'Ford, Srisuresh and Kegel, "Peer-to-Peer Communication Across Network Address ' +
    'Translators", USENIX ATC 2005, section 2.1 (relaying), section 3 ' +
    '(UDP hole punching), section 5.1 (consistent endpoint translation: a NAT that maps per ' +
    'destination, i.e. symmetric, defeats it)',
  deanGhemawat:
    'Dean and Ghemawat, "MapReduce: Simplified Data Processing on Large Clusters", OSDI 2004, ' +
    'section 5.3 and Fig. 3 (sort: 891 s normal; 1283 s without backup tasks, +44 %; ' +
    '933 s with 200 of 1,746 workers killed, +5 %)',
} as const
