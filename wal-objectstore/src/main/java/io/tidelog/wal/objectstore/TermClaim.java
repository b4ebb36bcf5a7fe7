package io.tidelog.wal.objectstore;

import io.tidelog.common.StreamingException;
import io.tidelog.objectstore.ObjectStore;
import io.tidelog.wal.objectstore.BlockFormat.Footer;
import io.tidelog.wal.objectstore.BlockFormat.Header;
import io.tidelog.wal.objectstore.BlockFormat.Type;
import io.tidelog.wal.objectstore.WalLayout.SegmentListing;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutorService;

/**
 * Opening a pchannel read-write at term {@code T}: fences every writer of an older term using nothing but the
 * store's conditional create ({@link ObjectStore#createIfAbsent}, {@code If-None-Match: *} on S3), and finds
 * where the new writer starts.
 *
 * <p><b>What a writer does.</b> A writer gives the positions {@code 0, 1, 2, ...} of its segment to its blocks in
 * order and writes each block with a conditional create, at most {@code W} ({@code flush.parallelism}) PUTs in
 * flight at once, at any positions from its lowest block not yet durable {@code a} on (a slow PUT does not hold
 * the later ones back; how far ahead is bounded by the bytes it may hold, {@code buffer.max.bytes}). It
 * acknowledges blocks in position order, and a block that fails fails every later one: if it ever loses a
 * conditional create at position {@code p}, it acknowledges nothing at or after {@code p}, ever (it is fenced).
 * Blocks above a position not yet written may therefore be in the store; the protocol below never relies on
 * the positions in flight lying close together, only on the lowest fence position. Before it starts segment {@code s + 1} it
 * seals segment {@code s}: every block of {@code s} durable, then the footer of {@code s} created
 * conditionally. A segment's content is its blocks before its first {@link Type#FENCE} block (and before the
 * footer's end, which says the same).
 *
 * <p><b>What opening at T does</b> (repeated from the top whenever a race changes the picture):
 * <ol>
 *   <li>Find the last segment {@code s} ({@link WalLayout#lastSegment}: segments have no gaps, so a galloping
 *       search finds it without listing the whole log). It belongs to the term of whoever started it: the
 *       footer of {@code s - 1} (written by the writer that moved on, or by the opener that fenced it) and the
 *       header of its first block say which. A term newer than {@code T} there, or on any block or footer read
 *       below, means {@code T} is stale: {@code CHANNEL_FENCED}, and nothing was written.</li>
 *   <li>If {@code s} has a footer, its writer sealed it and may already be writing {@code s + 1}, whose blocks
 *       the listing may not show yet: {@code s + 1} is the open segment of step 3 (and the new term starts at
 *       {@code s + 2}).</li>
 *   <li>Otherwise {@code s} is open. Write the marker {@code fencing-T} (so that a later opener knows to look
 *       for fence blocks among the existing ones), then claim every absent position in
 *       {@code [h, h + 2W)} at once, {@code h} the lowest absent position, with {@link Type#FENCE} blocks (the
 *       range only sets how many claims go out at once).
 *       Let {@code f} be the lowest position that holds a fence block (one won, or one of an earlier opener
 *       that lost its way). Every position below {@code f} is occupied: listed, or a claim lost to a block
 *       that is there. If no position of the range was won, the writer has moved on: claim the next range.
 *       </li>
 *   <li>Create the footer of {@code s} with end {@code f}. Won: {@code s} is sealed at {@code f}, and its writer,
 *       which cannot seal it any more, never writes a later segment: claim block 0 of {@code s + 1} with a
 *       {@link Type#TERM} block; won, the new writer continues at block 1 of {@code s + 1}. Lost: another footer
 *       is there; start again (it is read in 1).</li>
 * </ol>
 *
 * <p><b>Why a stale writer never gets an append acknowledged after the open returned.</b> Once the opener
 * holds position {@code f}, the old writer's create of {@code f} fails, so it acknowledges nothing at or after
 * {@code f}; it can never seal {@code s} (the footer is the opener's) and so never writes in a later segment.
 * What it may still acknowledge lies below {@code f}: blocks that were already in the store when the claims
 * were lost, and which the open therefore saw, in the settled prefix of the log that the new term continues.
 * So every acknowledgement of the old term, whenever it arrives, names a record that precedes the new term's
 * first record. If the footer race is lost to the old writer instead, it sealed {@code s} with every block it
 * acknowledged in it, and the next round fences it in {@code s + 1}.
 *
 * <p><b>What a reader does with a block that lost the race.</b> A block whose conditional create lost was
 * never written: nothing to skip. Blocks of the old writer that land above {@code f} (they were in flight)
 * are after the segment's first fence block and past its footer's end: no reader delivers them, and the old
 * writer, whose create of {@code f} failed, never acknowledges them.
 *
 * <p>Opening at the same term again (after the previous log of that term closed or its process died) runs the
 * same steps: they repair a torn tail, since a hole left by a crash becomes a fence position.
 */
final class TermClaim {
    private static final int MAX_ROUNDS = 10_000;

    /**
     * Where the new writer starts.
     *
     * @param segment the segment it writes, whose block 0 it holds ({@link Type#TERM})
     */
    record Start(long segment) {
    }

    private final ObjectStore store;
    private final String pchannel;
    private final long term;
    private final long writer;
    private final int window;
    private final ExecutorService io;

    TermClaim(ObjectStore store, String pchannel, long term, long writer, int window, ExecutorService io) {
        this.store = store;
        this.pchannel = pchannel;
        this.term = term;
        this.writer = writer;
        this.window = window;
        this.io = io;
    }

    Start claim() {
        for (int round = 0; round < MAX_ROUNDS; round++) {
            long lastNumber = WalLayout.lastSegment(store, pchannel, TruncationMark.read(store, pchannel));
            if (lastNumber < 0) {
                long first = TruncationMark.read(store, pchannel);
                if (claimTerm(first)) {
                    return new Start(first);
                }
                continue;
            }
            SegmentListing last = WalLayout.listSegment(store, pchannel, lastNumber);
            checkOwner(last);
            if (last.footer) {
                // Sealed by its writer, which may already be writing the next segment (its blocks not listed
                // yet): that one is fenced like any open segment, and the new term starts after it.
                checkTerm(readFooter(last.segment).term(), "the footer of segment " + last.segment);
                if (fence(new SegmentListing(last.segment + 1)) && claimTerm(last.segment + 2)) {
                    return new Start(last.segment + 2);
                }
                continue;
            }
            if (fence(last) && claimTerm(last.segment + 1)) {
                return new Start(last.segment + 1);
            }
        }
        throw StreamingException.inner("pchannel " + pchannel + ": could not claim term " + term + " in "
                + MAX_ROUNDS + " rounds; other writers keep changing the log", null);
    }

    /** Step 1: the term that owns {@code last} must not be newer than ours. */
    private void checkOwner(SegmentListing last) {
        if (last.segment > 0) {
            String key = WalLayout.footer(pchannel, last.segment - 1);
            Optional<byte[]> previous = store.get(key);
            if (previous.isPresent()) {
                checkTerm(BlockFormat.footer(previous.get(), "pchannel " + pchannel + " " + key).term(),
                        "the footer of segment " + (last.segment - 1));
            }
        }
        if (!last.blocks.isEmpty()) {
            int first = last.blocks.firstKey();
            checkTerm(readHeader(last.segment, first).term(), "block " + first + " of segment " + last.segment);
        }
    }

    /**
     * Steps 3 and 4 on the open segment {@code s}: true if this opener sealed it, false if another footer won
     * (the caller starts again).
     */
    private boolean fence(SegmentListing s) {
        store.put(WalLayout.fencing(pchannel, s.segment, term), BlockFormat.claim(Type.FENCE, term, writer));
        int h = s.firstAbsent();
        int firstFence = Integer.MAX_VALUE;
        // Blocks already there: an earlier opener's fence may be among them (it wrote its marker first).
        List<Integer> toRead = new ArrayList<>();
        for (int b : s.blocks.keySet()) {
            if (s.fencing || b > h) {
                toRead.add(b);
            }
        }
        List<CompletableFuture<Header>> headers = new ArrayList<>();
        for (int b : toRead) {
            headers.add(CompletableFuture.supplyAsync(() -> readHeader(s.segment, b), io));
        }
        for (int i = 0; i < toRead.size(); i++) {
            Header header = join(headers.get(i));
            checkTerm(header.term(), "block " + toRead.get(i) + " of segment " + s.segment);
            if (header.type() == Type.FENCE) {
                firstFence = Math.min(firstFence, toRead.get(i));
            }
        }
        // Claim the absent positions from h on, 2W at a time, until the lowest fence position is known; every
        // position below it is then occupied (listed, or a lost claim).
        int from = h;
        while (firstFence > from) {
            int to = (int) Math.min((long) from + 2L * window, firstFence);
            List<Integer> positions = new ArrayList<>();
            List<CompletableFuture<Boolean>> claims = new ArrayList<>();
            byte[] fenceBlock = BlockFormat.claim(Type.FENCE, term, writer);
            for (int b = from; b < to; b++) {
                if (s.blocks.containsKey(b)) {
                    continue;
                }
                String key = WalLayout.block(pchannel, s.segment, b);
                positions.add(b);
                claims.add(CompletableFuture.supplyAsync(() -> store.createIfAbsent(key, fenceBlock), io));
            }
            for (int i = 0; i < positions.size(); i++) {
                int b = positions.get(i);
                if (join(claims.get(i))) {
                    firstFence = Math.min(firstFence, b);
                } else {
                    Header header = readHeader(s.segment, b);
                    checkTerm(header.term(), "block " + b + " of segment " + s.segment);
                    if (header.type() == Type.FENCE) {
                        firstFence = Math.min(firstFence, b);
                    }
                }
            }
            if (firstFence <= to) {
                break;
            }
            from = to;
        }
        // Sizes for the footer, as listed (0 where no listing showed the block yet: a reader then fetches it
        // whole). Every position below the fence is occupied, listed or not: a lost claim proved it.
        SegmentListing now = WalLayout.listSegment(store, pchannel, s.segment);
        long[] sizes = new long[firstFence];
        for (int b = 0; b < firstFence; b++) {
            Long size = s.blocks.containsKey(b) ? s.blocks.get(b) : now.blocks.get(b);
            sizes[b] = size == null ? 0 : size;
        }
        byte[] footer = BlockFormat.footer(new Footer(term, writer, sizes));
        if (store.createIfAbsent(WalLayout.footer(pchannel, s.segment), footer)) {
            return true;
        }
        checkTerm(readFooter(s.segment).term(), "the footer of segment " + s.segment);
        return false;
    }

    private boolean claimTerm(long segment) {
        return store.createIfAbsent(WalLayout.block(pchannel, segment, 0), BlockFormat.claim(Type.TERM, term, writer));
    }

    private void checkTerm(long seen, String where) {
        if (seen > term) {
            throw StreamingException.fenced("pchannel " + pchannel + " was opened at term " + seen + " (" + where
                    + "), newer than " + term);
        }
    }

    private Header readHeader(long segment, int block) {
        String key = WalLayout.block(pchannel, segment, block);
        return BlockFormat.header(store.getRange(key, 0, BlockFormat.HEADER_BYTES), "pchannel " + pchannel + " " + key);
    }

    private Footer readFooter(long segment) {
        String key = WalLayout.footer(pchannel, segment);
        Optional<byte[]> bytes = store.get(key);
        if (bytes.isEmpty()) {
            throw StreamingException.inner("pchannel " + pchannel + ": the footer " + key + " vanished", null);
        }
        return BlockFormat.footer(bytes.get(), "pchannel " + pchannel + " " + key);
    }

    private static <T> T join(CompletableFuture<T> f) {
        try {
            return f.join();
        } catch (CompletionException e) {
            throw StreamingException.from(e.getCause());
        }
    }
}
