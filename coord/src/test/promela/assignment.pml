/*
 * Tidelog cluster: the pchannel assignment and fencing protocol, checked exhaustively by spin.
 *
 * Modelled: 2 coordinators (election through the meta-store key coord/leader under a session lease; every leader
 * write a transaction guarded by "coord/leader still has the create revision I got"; a standby takes over and
 * resumes ASSIGNING records), 3 streaming nodes (session lease with keepalive; self-fencing; assign/remove by
 * term; appends at the term they hold), 2 pchannels, the meta store (linearizable; leases that expire) and each
 * pchannel's log storage (an open at T fences every writer below T; an append of term T is acknowledged only if
 * no open above T happened before it). Faults come from a budget (FAULTS) and strike at any point: kill -9 and
 * restart of a node or a coordinator; SIGSTOP (past the session TTL or not) and SIGCONT of either; a node cut off
 * from the meta store while it keeps serving; a leader moving a pchannel off a node that is alive (tidelog drain,
 * or a health check that failed by mistake). Every interleaving of at most FAULTS faults is explored.
 *
 * Properties (AssignmentProtocolModelTest checks each; the README's Tests section says how to run spin by hand):
 *   (a) fencing   no append is acknowledged to a writer of term T after an open at a term above T has returned:
 *                 asserted at every acknowledged append, against the ghost openReturned[p]. "Acknowledged" is the
 *                 storage's decision (its conditional write); the answer may reach the client later, and then
 *                 names a record that precedes the new term's first one (TermClaim's javadoc);
 *   (b) leader    no two coordinators both act as leader on the same meta-store revision: every leader write (a
 *                 guarded transaction) asserts that the meta store, at the revision the write creates, names the
 *                 writer as leader, in the leader key the writer created (ghost epochOwner);
 *   (c) liveness  once faults stop, every pchannel is eventually ASSIGNED to a node that serves it at the
 *                 record's term, and stays so: the LTL formula `live`, checked with weak fairness (pan -a -f).
 * Asserted on the way: no two nodes open a pchannel at the same term; the ASSIGNED write replaces the task's own
 * ASSIGNING record; the model's bounds (MAXT, MAXE) hold.
 *
 * Mutations (compile with -D<name>; each makes spin report a violation: the properties can fail):
 *   MUT_NO_GUARD  leader writes are not guarded by the leader key's create revision            -> (b) fails
 *   MUT_NO_FENCE  an open does not fence older writers at the storage (Milvus on Kafka)        -> (a) fails
 *   MUT_NO_RETRY  a failed assign is left ASSIGNING, never retried by this leader              -> (c) fails
 * and two places where the design draft, as written, is wrong (the model has the fix; the flag restores the draft):
 *   NODE_BY_ID    an ASSIGNED record names its node but not the node's session, so a node that restarted or
 *                 registered again (and serves nothing) still counts as the owner              -> (c) fails
 *   STEP4_NO_CAS  step 4 (ASSIGNED) is guarded by the leader key only, not by a CAS on the record: a task that
 *                 outlived a step-down overwrites a newer record once its coordinator leads again
 *                 -> the "own record" assertion fails (with 3 faults, a term goes back and a second node
 *                 opens a term another node opened)
 *
 * Java map: each step names the class (and method) that implements it:
 *   PchannelAssigner (coord)        one task per pchannel on the leader, resuming from the persisted record
 *                                   (reconcile: steps 1 to 3; attemptDone: step 4); StreamingCoordinator runs it;
 *   LeaderElection (session)        campaign (putIfAbsent of coord/leader under the session lease); step down when
 *                                   the session is lost or the key goes (LeadershipListener.onDeposed);
 *   LeaderGuardedMetaStore (coord)  every leader write as MetaStore.txn guarded by
 *                                   Compare.createRevision(coord/leader, EQUAL, R) (Leadership.guard());
 *   NodeHealth (server)             the leader's heartbeat stream from every node (down after about 1 s silent);
 *   ClusterNodes, Members           the leader's view of session/node/<id> (module session's Members, a watch
 *                                   of the sessions), feeding PchannelAssigner.nodeUp / nodeDown;
 *   Session (session)               a node's or coordinator's session: registration, keepalive, self-fencing;
 *   GrpcNodeHandle, NodeControlService (server)  NodeHandle over gRPC: assign has no deadline, a second assign at
 *                                   the term joins the first; every request names the node session;
 *   CoordServer, NodeServer (server)  tidelog coord / tidelog node, the processes that run the above on etcd;
 *                                   a node's self-fence is NodeServer.sessionLost (WalManager.removeAll, then a
 *                                   new session: dropAll and the new registration here);
 *   WalManager.open / remove        the node's side of assign and remove (module node);
 *   WalBackend.open, Wal.append     the storage fence and the conditional append: TermClaim.claim and BlockWriter
 *                                   (wal-objectstore), TermFence.claim and TransactionalWriter (wal-kafka);
 *   Assignment, PchannelMeta        the record coord/pchannel/<p> (coord, state-proto);
 *   MetaStore                       the meta store SPI (meta-api; EtcdMetaStore in a cluster).
 *
 * Processes. Every step is one atomic, guarded action on the global state, so the interleavings (and with them
 * (a) and (b)) do not depend on how steps are grouped into processes; only fairness does. Spin's weak fairness is
 * per process: a process that stays enabled eventually moves, but it may keep choosing the same one of its
 * steps. The steps of all coordinators and nodes form one process (Cluster): that assumes less fairness than one
 * process per coordinator and node would, so (c) checked this way holds under the finer fairness too, and
 * spin's -f costs a factor of 5 instead of 9. The environment (faults, the meta store's lease expiry, the end of
 * a SIGSTOP or a cut-off) is init, once it has started the others; the clients (appends, and the passing of
 * time) are the third process. Time must pass: spin's -f does not extend a run that stops (every process
 * waiting) by stuttering, so a state in which nothing else can move would never fail (c) without it.
 *
 * Abstractions (each one sound for the three properties; the reason beside it):
 *   - Atomic steps. A step is atomic where the Java makes one meta-store call (a txn, a lease expiry), one storage
 *     call (open = WalBackend.open, which fences before it returns; an append's conditional write) or runs in one
 *     monitor section (WalManager serialises open/remove on its monitor). A leader's read of a record and its
 *     compare-and-put are one step: in one leader epoch only that pchannel's task writes the record, so nothing
 *     can fall between them that the CAS would catch, and a deposed leader's write fails the guard either way.
 *   - Revisions. The store's global revision counter is not kept. The guard compares the leader key's create
 *     revision, unique per creation of the key: the model numbers the creations (ldrEpoch), an exact stand-in. A
 *     CAS on a record's mod revision is a compare of its content: a record never returns to an earlier (term,
 *     state), so equal content means no write in between.
 *   - Steps 1 to 3 of an assignment are one leader step: CAS to ASSIGNING, remove from the old owner (delivered
 *     exactly when the owner is reachable then, unless the leader believes it dead), and the assign request to the
 *     node. A late or lost remove is the same as an unreachable owner (storage fencing, not remove, makes a move
 *     safe); a deposed leader's late assign request is still made, by its resume step.
 *   - Health checks and the session watch are read from the truth at the step that decides (reachable = process
 *     up and not stopped; session = the key exists). Staleness comes from the interleaving (the decision is acted
 *     on in later steps while the world moves on), and a false "dead" verdict is the budgeted "move" fault.
 *   - Sessions. A node's session is a bit (nodeSession: the key exists); a restarted or re-registered node puts
 *     session/node/<id> under a new lease, so the old lease's expiry deletes nothing. Where the Java would keep
 *     the owner's lease id in the record and compare it with the node's current one, the record keeps whether the
 *     owner's session is still the one that served it (rec.fresh, cleared when that node registers again): the
 *     same equality test, without a counter that grows.
 *   - Self-fencing, "keepalive failed for longer than the TTL minus a margin", happens before the meta store
 *     expires the lease of a node that runs (the margin covers the clocks); a stopped node cannot self-fence in
 *     time, and the store expires its lease while it sleeps: it comes back believing it serves (SIGCONT).
 *   - Appends carry no payload and leave no trace in the node: the storage alone decides (acknowledged, or
 *     CHANNEL_FENCED, forever). A node's fenced WAL matters only to a deposed leader: its term is below the
 *     record's, so no live leader asks for it.
 *   - Time is not modelled: TTLs, health-check periods and RPC deadlines are the nondeterministic order of steps,
 *     with weak fairness for (c). Terms, leader epochs and faults are bounded; MAXT and MAXE are asserted.
 *   - The balancer picks any live node; with BALANCER_RULE, the live node other than the current owner with the
 *     fewest pchannels, lowest id first (deterministic, as the Java's balancer will be). The liveness check with two
 *     faults uses the rule (any node would take minutes); the one with one fault lets the balancer pick any node.
 *   - Leader tasks are not cancelled when their coordinator steps down (see stepDown); a kill -9 ends them.
 *   - Coordinators are symmetric: coordinator 0 wins the first election. Coordinator sessions other than the
 *     leader key's lease are not modelled (a standby only answers clients). A crash ends a node's cut-off from the
 *     meta store too, and a node registers as it restarts.
 * Not modelled: clients reporting a wrong node (StreamingCoordinator.reportError), which the protocol must not need
 * for (c); the TSO; DDL broadcasts; the graceful hand-back on SIGTERM; an open that keeps failing on a live node
 * (a full disk); the Kafka backend's stale opener that fences a newer writer (KafkaWal's javadoc).
 */

#define NC 2            /* coordinators */
#define NN 3            /* streaming nodes */
#define NP 2            /* pchannels */
#define NOBODY 255      /* no node, no coordinator */

#ifndef FAULTS
#define FAULTS 2
#endif
#define MAXT 8          /* terms stay below this (asserted) */
#define MAXE (FAULTS + 3)

/* pchannel record states, as PchannelState in state-proto's coord.proto */
#define UNASSIGNED 0
#define ASSIGNING 1
#define ASSIGNED 2

/* the phases of a leader's task for one pchannel (PchannelAssigner) */
#define IDLE 0          /* reads the persisted record and decides */
#define WAIT 1          /* ASSIGNING persisted, assign(p, term) sent: the node opens the WAL, the leader polls */
#define GAVE_UP 2       /* MUT_NO_RETRY only: left ASSIGNING */

/* ------------------------------------------------------------------ the meta store (MetaStore; etcd) */
bool ldrOn;                     /* coord/leader exists */
byte ldrEpoch;                  /* its create revision, as the number of the creation */
byte ldrOwner = NOBODY;         /* its value: the coordinator that created it */
byte epochs;                    /* creations of coord/leader so far */

typedef Record {                /* coord/pchannel/<p>: PchannelMeta (Assignment.toMeta) */
    byte term;
    byte node;
    byte state;
    bool fresh                  /* ASSIGNED by the owner's current session (see Sessions above) */
};
Record rec[NP];

bool nodeSession[NN];           /* session/node/<n> exists: its lease is alive */

/* ------------------------------------------------------------------ the storage of each pchannel's log */
byte fencedBelow[NP];           /* the highest term opened: every writer below it is fenced */

/* ------------------------------------------------------------------ nodes (tidelog node) */
bool nodeUp[NN];                /* the process runs (false after kill -9, until it restarts) */
bool nodeStopped[NN];           /* SIGSTOP: takes no step, answers nothing, renews nothing */
bool nodeCut[NN];               /* cannot reach the meta store: keepalives fail, it still serves */
bool nodeReg[NN];               /* in service: its session registered, not self-fenced */
byte hold[NN * NP];             /* WalManager: the term pchannel p is served at here, 0 if none */
byte want[NN * NP];             /* a pending assign(p, term) request, 0 if none */
#define IX(n, p) ((n) * NP + (p))

/* ------------------------------------------------------------------ coordinators (tidelog coord) */
bool coordUp[NC];
bool coordStopped[NC];
byte myEpoch[NC];               /* the leader key this coordinator believes it holds, 0 if standby */
byte phase[NC * NP];            /* its task for each pchannel, with the task's term and node */
byte taskTerm[NC * NP];
byte taskNode[NC * NP];
#define CX(c, p) ((c) * NP + (p))

/* ------------------------------------------------------------------ faults */
byte budget = FAULTS;

/* ------------------------------------------------------------------ ghosts (no Java counterpart) */
byte openReturned[NP];          /* (a): the highest term whose open returned */
byte fenceOwner[NP];            /* the node whose open returned at that term */
byte epochOwner[MAXE];          /* (b): the coordinator that created each leader key */
hidden byte h, hp, hr, ht, hn;  /* scratch, used inside one atomic step only (not part of the state) */
hidden byte tick;               /* written by the step "time passes", read by nobody */

#define reachable(n)   (nodeUp[n] && !nodeStopped[n])
/* The leader's verdict "node n is alive": health checks answer (NodeHealth) and the session key exists
   (ClusterNodes over Members). */
#define live(n)        (reachable(n) && nodeSession[n])
#define anyLive        (live(0) || live(1) || live(2))
#define coordRuns(c)   (coordUp[c] && !coordStopped[c])
#define isLeader(c)    (coordRuns(c) && myEpoch[c] != 0)

/* Does the owner named by an ASSIGNED record still hold it? The design draft names the node only (NODE_BY_ID);
   the fix also names its session: a node that restarted or registered again holds nothing of the old one. */
#ifdef NODE_BY_ID
#define ownerAlive(p)  (live(rec[p].node))
#else
#define ownerAlive(p)  (live(rec[p].node) && rec[p].fresh)
#endif

/* (c): p is ASSIGNED, and its owner is in service and serves p at the record's term */
#define served(p) (rec[p].state == ASSIGNED && reachable(rec[p].node) && nodeReg[rec[p].node] && \
                   hold[IX(rec[p].node, p)] == rec[p].term)

ltl live { <> [] (served(0) && served(1)) }

/* ------------------------------------------------------------------ leader writes (LeaderGuardedMetaStore) */
/* MetaStore.txn([createRevision(coord/leader) == R, ...], [put ...], []): applied only while the leader key still
   has the create revision R this coordinator got; otherwise nothing is written and the coordinator steps down
   (LeaderElection). (b) is asserted where the write is applied. */
#ifdef MUT_NO_GUARD
#define GUARD(c) true
#else
#define GUARD(c) (ldrOn && ldrEpoch == myEpoch[c])
#endif

inline checkLeaderWrite(c) {
    assert(ldrOn && ldrOwner == c && epochOwner[ldrEpoch] == c && myEpoch[c] == ldrEpoch)   /* (b) */
}

/* LeaderElection: the session is lost (SessionListener.onLost) or a guarded write failed; the
   coordinator is a standby with a new session. Its tasks are not cancelled: a task waiting on a node keeps its term
   and node, and goes on if this coordinator leads again (nothing in the design stops it; the CAS of step 4 makes
   it harmless). */
inline stepDown(c) {
    printf("c%d steps down\n", c);
    myEpoch[c] = 0
}

/* kill -9 of a coordinator: its tasks are gone with it */
inline dropTasks(c) {
    h = 0;
    do
    :: h < NP -> phase[CX(c, h)] = IDLE; taskTerm[CX(c, h)] = 0; taskNode[CX(c, h)] = 0; h++
    :: else -> break
    od;
    h = 0
}

/* LeaderElection: campaign, MetaStore.putIfAbsent(coord/leader, id, lease). The key's create
   revision R guards every later write of this leader. */
inline campaign(c) {
    assert(epochs + 1 < MAXE);
    epochs++;
    ldrOn = true;
    ldrEpoch = epochs;
    ldrOwner = c;
    epochOwner[epochs] = c;
    myEpoch[c] = epochs;
    printf("c%d leads, epoch %d\n", c, epochs)
}

/* ------------------------------------------------------------------ the node's side of assign (WalManager.open) */
/* The node takes assign(p, T): refuses it out of service (self-fenced, or not registered) and when it serves p at
   a newer term (IGNORED_OPERATION; the design says UNMATCHED_CHANNEL_TERM); answers at once if it serves p at T;
   otherwise closes the WAL of an older term and opens the backend read-write at T: WalBackend.open fences every
   writer below T and fails with CHANNEL_FENCED if a newer term was opened (TermClaim.claim, TermFence.claim). One
   step: WalManager.open runs under the manager's monitor, and the storage's fence is the one point that matters.
   The leader learns the outcome by polling (its WAIT steps). */
inline handleAssign(n, p) {
    ht = want[IX(n, p)];
    want[IX(n, p)] = 0;
    if
    :: nodeReg[n] && hold[IX(n, p)] < ht ->
        hold[IX(n, p)] = 0;
        if
        :: fencedBelow[p] > ht -> printf("n%d p%d: open at term %d fenced\n", n, p, ht)
        :: else ->
            if
            :: openReturned[p] == ht -> assert(fenceOwner[p] == n)  /* the same term again: on the same node */
            :: else -> skip
            fi;
#ifndef MUT_NO_FENCE
            fencedBelow[p] = ht;                                /* the fence, durable before open returns */
#endif
            if
            :: openReturned[p] < ht -> openReturned[p] = ht; fenceOwner[p] = n
            :: else -> skip
            fi;
            hold[IX(n, p)] = ht;
            printf("n%d p%d: open at term %d returned\n", n, p, ht)
        fi
    :: else -> skip                     /* out of service, or p served here at T already or at a newer term */
    fi;
    ht = 0
}

/* ------------------------------------------------------------------ the leader's task for one pchannel */
/* PchannelAssigner: one per pchannel, never blocking the others.
   As in the design draft:
     1. guarded txn with a CAS on the record: {term+1, n, ASSIGNING}
     2. remove(p, oldTerm) on the old owner, best effort (an unreachable owner counts as removed)
     3. assign(p, term) on n: the node opens the WAL by itself; the leader polls until it serves or fails
     4. guarded txn with a CAS on the record: {term, n, ASSIGNED} (the draft has no CAS: STEP4_NO_CAS)
   A failure goes back to the persisted record: ASSIGNING on a live node is retried there at the same term,
   anything else takes a new term (step 1). A new leader starts every task at IDLE, which resumes ASSIGNING
   records the same way. */

/* hn := the target for pchannel hp (the balancer) */
#ifdef BALANCER_RULE
#define otherOn(n)     (rec[1 - hp].state != UNASSIGNED && rec[1 - hp].node == (n))
#define candidate(n)   (live(n) && rec[hp].node != (n))
inline pickTarget() {
    if
    :: candidate(0) && (!candidate(1) || otherOn(0) <= otherOn(1)) &&
       (!candidate(2) || otherOn(0) <= otherOn(2)) -> hn = 0
    :: else ->
        if
        :: candidate(1) && (!candidate(2) || otherOn(1) <= otherOn(2)) -> hn = 1
        :: else ->
            if
            :: candidate(2) -> hn = 2
            :: else -> hn = rec[hp].node        /* the only live node */
            fi
        fi
    fi
}
#else
inline pickTarget() {
    if
    :: live(0) -> hn = 0
    :: live(1) -> hn = 1
    :: live(2) -> hn = 2
    fi
}
#endif

/* Steps 1 to 3, to target hn; removeOld: the leader believes the old owner reachable. */
inline newTerm(c, p, removeOld) {
    if
    :: GUARD(c) ->
        checkLeaderWrite(c);
        assert(rec[p].term + 1 < MAXT);
        /* step 2: NodeHandle.remove(p, oldTerm) -> WalManager.remove (stops serving p at oldTerm or older) */
        if
        :: removeOld && rec[p].state != UNASSIGNED && reachable(rec[p].node) &&
           hold[IX(rec[p].node, p)] <= rec[p].term ->
            hold[IX(rec[p].node, p)] = 0
        :: else -> skip
        fi;
        /* step 1 */
        rec[p].term = rec[p].term + 1;
        rec[p].node = hn;
        rec[p].state = ASSIGNING;
        rec[p].fresh = false;
        printf("c%d p%d: ASSIGNING term %d on n%d\n", c, p, rec[p].term, hn);
        /* step 3: NodeHandle.assign(p, term) (GrpcNodeHandle -> NodeControlService -> WalManager.open) */
        want[IX(hn, p)] = rec[p].term;
        phase[CX(c, p)] = WAIT;
        taskTerm[CX(c, p)] = rec[p].term;
        taskNode[CX(c, p)] = hn
    :: else -> stepDown(c)
    fi;
    hn = 0;
    hp = 0
}

/* the record needs a new term: never assigned, its ASSIGNED owner is gone, or ASSIGNING on a dead node */
#define needsNewTerm(p) (rec[p].state == UNASSIGNED || (rec[p].state == ASSIGNED && !ownerAlive(p)) || \
                         (rec[p].state == ASSIGNING && !live(rec[p].node)))

/* the poll: the task's node serves p at the task's term */
#define polled(c, p) (reachable(taskNode[CX(c, p)]) && hold[IX(taskNode[CX(c, p)], p)] == taskTerm[CX(c, p)])

/* the assign failed: the node is dead (health checks, session gone), or dropped the request (refused it,
   CHANNEL_FENCED, crashed and restarted, or another request replaced it) */
#define failed(c, p) (!polled(c, p) && \
                      (!live(taskNode[CX(c, p)]) || want[IX(taskNode[CX(c, p)], p)] != taskTerm[CX(c, p)]))

/* the CAS of step 4: the record is still the ASSIGNING this task is about (STEP4_NO_CAS: the design draft, whose
   step 4 is guarded by the leader key only) */
#define ownRecord(c, p) (rec[p].state == ASSIGNING && rec[p].term == taskTerm[CX(c, p)] && \
                         rec[p].node == taskNode[CX(c, p)])
#ifdef STEP4_NO_CAS
#define STEP4_CAS(c, p) true
#else
#define STEP4_CAS(c, p) ownRecord(c, p)
#endif

#ifdef MUT_NO_RETRY
#define AFTER_FAILURE GAVE_UP
#else
#define AFTER_FAILURE IDLE
#endif

/* The steps of coordinator c's task for pchannel p, while c believes it leads. */
#define TASK(c, p) \
    /* IDLE, step 1: a new term on a live node */ \
    :: atomic { isLeader(c) && phase[CX(c, p)] == IDLE && needsNewTerm(p) && anyLive -> \
           hp = p; pickTarget(); newTerm(c, p, true) } \
    /* IDLE, resume at step 3: ASSIGNING on a live node, the same node at the same term (the node answers at \
       once if it serves p at that term already) */ \
    :: atomic { isLeader(c) && phase[CX(c, p)] == IDLE && rec[p].state == ASSIGNING && live(rec[p].node) -> \
           want[IX(rec[p].node, p)] = rec[p].term; phase[CX(c, p)] = WAIT; \
           printf("c%d p%d: resumes term %d on n%d\n", c, p, rec[p].term, rec[p].node); \
           taskTerm[CX(c, p)] = rec[p].term; taskNode[CX(c, p)] = rec[p].node } \
    /* IDLE, the fault "move": tidelog drain (remove delivered), or a health check failed by mistake (the owner \
       is believed dead: no remove); the owner keeps running either way */ \
    :: atomic { isLeader(c) && phase[CX(c, p)] == IDLE && rec[p].state == ASSIGNED && ownerAlive(p) && \
                budget > 0 && anyLive -> \
           budget--; hp = p; pickTarget(); printf("fault: c%d moves p%d off n%d\n", c, p, rec[p].node); \
           if \
           :: hr = 1 \
           :: hr = 0 \
           fi; \
           newTerm(c, p, hr); hr = 0 } \
    /* WAIT, step 4: the node serves p at the term -> guarded txn {term, n, ASSIGNED} (the owner's session too), \
       with a CAS on the record: still the ASSIGNING this task wrote or resumed (else back to IDLE, to re-read it) */ \
    :: atomic { isLeader(c) && phase[CX(c, p)] == WAIT && polled(c, p) -> \
           if \
           :: GUARD(c) && STEP4_CAS(c, p) -> \
               checkLeaderWrite(c); \
               assert(ownRecord(c, p)); \
               rec[p].term = taskTerm[CX(c, p)]; rec[p].node = taskNode[CX(c, p)]; \
               rec[p].state = ASSIGNED; rec[p].fresh = true; \
               printf("c%d p%d: ASSIGNED term %d on n%d\n", c, p, rec[p].term, rec[p].node); \
               phase[CX(c, p)] = IDLE; taskTerm[CX(c, p)] = 0; taskNode[CX(c, p)] = 0 \
           :: GUARD(c) && !STEP4_CAS(c, p) -> \
               phase[CX(c, p)] = IDLE; taskTerm[CX(c, p)] = 0; taskNode[CX(c, p)] = 0 \
           :: else -> stepDown(c) \
           fi } \
    /* WAIT, failed: back to the persisted record (MUT_NO_RETRY: left ASSIGNING) */ \
    :: atomic { isLeader(c) && phase[CX(c, p)] == WAIT && failed(c, p) -> \
           printf("c%d p%d: assign at term %d on n%d failed\n", c, p, taskTerm[CX(c, p)], taskNode[CX(c, p)]); \
           phase[CX(c, p)] = AFTER_FAILURE; taskTerm[CX(c, p)] = 0; taskNode[CX(c, p)] = 0 }

/* The steps of coordinator c. */
#define COORDINATOR(c) \
    /* after kill -9: restarts as a standby with a new session */ \
    :: atomic { !coordUp[c] -> coordUp[c] = true; printf("c%d restarts\n", c) } \
    :: atomic { coordRuns(c) && myEpoch[c] == 0 && !ldrOn -> campaign(c) } \
    /* LeaderElection: the session finds its lease gone (SessionListener.onLost) */ \
    :: atomic { coordRuns(c) && myEpoch[c] != 0 && !(ldrOn && ldrEpoch == myEpoch[c]) -> stepDown(c) } \
    TASK(c, 0) \
    TASK(c, 1)

/* ------------------------------------------------------------------ nodes */
/* Session (module session): register session/node/<id> under a new lease, and serve. A node that registers
   again is a new session: the ASSIGNED records its former session earned are stale (fresh = false). */
inline register(n) {
    printf("n%d registers a new session\n", n);
    nodeReg[n] = true;
    nodeSession[n] = true;
    h = 0;
    do
    :: h < NP ->
        if
        :: rec[h].state == ASSIGNED && rec[h].node == n -> rec[h].fresh = false
        :: else -> skip
        fi;
        h++
    :: else -> break
    od;
    h = 0
}

/* every WAL of node n closed, every pending request dropped */
inline dropAll(n) {
    h = 0;
    do
    :: h < NP -> hold[IX(n, h)] = 0; want[IX(n, h)] = 0; h++
    :: else -> break
    od;
    h = 0
}

/* The steps of node n. */
#define NODE(n) \
    /* after kill -9: restarts serving nothing, with a new session */ \
    :: atomic { !nodeUp[n] -> nodeUp[n] = true; register(n) } \
    /* self-fenced earlier, the meta store reachable: a new session */ \
    :: atomic { reachable(n) && !nodeReg[n] && !nodeCut[n] -> register(n) } \
    /* Session (module session): self-fencing. The keepalive has failed for longer than the TTL minus a margin \
       (cut off), or found the lease gone (it was stopped past the TTL): close every WAL (WalManager.remove of \
       each) and leave service until a new session is registered. */ \
    :: atomic { reachable(n) && nodeReg[n] && (nodeCut[n] || !nodeSession[n]) -> \
           printf("n%d self-fences\n", n); nodeReg[n] = false; dropAll(n) } \
    :: atomic { reachable(n) && want[IX(n, 0)] != 0 -> handleAssign(n, 0) } \
    :: atomic { reachable(n) && want[IX(n, 1)] != 0 -> handleAssign(n, 1) }

/* Every coordinator and node (see Processes above). */
proctype Cluster() {
end:
    do
    COORDINATOR(0)
    COORDINATOR(1)
    NODE(0)
    NODE(1)
    NODE(2)
    od
}

/* ------------------------------------------------------------------ clients: appends (Wal.append) */
/* Every node appends to every WAL it holds, at the term it holds (clients keep producing). The storage decides,
   atomically: a term below the fence gets CHANNEL_FENCED; otherwise the append is durable and acknowledged
   (BlockWriter's conditional create; TransactionalWriter's commit). (a) is asserted on every acknowledgement. */
#define APPEND(n, p) \
    :: atomic { reachable(n) && hold[IX(n, p)] != 0 && fencedBelow[p] <= hold[IX(n, p)] -> \
           printf("n%d p%d: append at term %d acknowledged\n", n, p, hold[IX(n, p)]); \
           assert(hold[IX(n, p)] >= openReturned[p]) }

proctype Clients() {
end:
    do
    APPEND(0, 0)
    APPEND(0, 1)
    APPEND(1, 0)
    APPEND(1, 1)
    APPEND(2, 0)
    APPEND(2, 1)
    :: tick = 0         /* time passes (see Processes above); spin refuses a bare skip looping on itself */
    od
}

/* ------------------------------------------------------------------ the environment */
#define NODE_FAULTS(n) \
    /* kill -9: the WALs and requests are gone; the lease lives on until it expires */ \
    :: atomic { budget > 0 && nodeUp[n] -> budget--; printf("fault: kill -9 n%d\n", n); \
           nodeUp[n] = false; nodeStopped[n] = false; nodeCut[n] = false; nodeReg[n] = false; dropAll(n) } \
    /* SIGSTOP, and SIGCONT */ \
    :: atomic { budget > 0 && reachable(n) -> budget--; nodeStopped[n] = true; printf("fault: SIGSTOP n%d\n", n) } \
    :: atomic { nodeStopped[n] -> nodeStopped[n] = false; printf("SIGCONT n%d\n", n) } \
    /* cut off from the meta store, and healed */ \
    :: atomic { budget > 0 && reachable(n) && !nodeCut[n] -> budget--; nodeCut[n] = true; \
           printf("fault: n%d cut off from the meta store\n", n) } \
    :: atomic { nodeCut[n] -> nodeCut[n] = false; printf("n%d reaches the meta store again\n", n) } \
    /* the meta store expires a lease nobody renews: the node was killed, is stopped, or self-fenced (a node \
       that runs self-fences before its lease expires: see Self-fencing above) */ \
    :: atomic { nodeSession[n] && !(reachable(n) && nodeReg[n]) -> nodeSession[n] = false; \
           printf("the lease of n%d expires\n", n) }

#define COORD_FAULTS(c) \
    /* kill -9 */ \
    :: atomic { budget > 0 && coordUp[c] -> budget--; printf("fault: kill -9 c%d\n", c); \
           coordUp[c] = false; coordStopped[c] = false; stepDown(c); dropTasks(c) } \
    /* SIGSTOP (past the TTL or not), and SIGCONT */ \
    :: atomic { budget > 0 && coordRuns(c) -> budget--; coordStopped[c] = true; printf("fault: SIGSTOP c%d\n", c) } \
    :: atomic { coordStopped[c] -> coordStopped[c] = false; printf("SIGCONT c%d\n", c) }

init {
    atomic {
        h = 0;
        do
        :: h < NN -> nodeUp[h] = true; nodeReg[h] = true; nodeSession[h] = true; h++
        :: else -> break
        od;
        h = 0;
        rec[0].node = NOBODY;
        rec[1].node = NOBODY;
        fenceOwner[0] = NOBODY;
        fenceOwner[1] = NOBODY;
        coordUp[0] = true;
        coordUp[1] = true;
        campaign(0);                    /* coordinator 0 wins the first election (the two are symmetric) */
        run Cluster();
        run Clients()
    }
    /* the environment: faults, the meta store's lease expiry, the end of a SIGSTOP or a cut-off */
end:
    do
    NODE_FAULTS(0)
    NODE_FAULTS(1)
    NODE_FAULTS(2)
    COORD_FAULTS(0)
    COORD_FAULTS(1)
    /* the leader key's lease expires once its owner stops renewing it (killed, stopped, or stepped down) */
    :: atomic { ldrOn && !(coordRuns(ldrOwner) && myEpoch[ldrOwner] == ldrEpoch) -> ldrOn = false;
           printf("the leader key (epoch %d) expires\n", ldrEpoch) }
    /* the faults stop here: the rest of the budget is never used */
    :: atomic { budget > 0 -> budget = 0; printf("no more faults\n") }
    od
}
