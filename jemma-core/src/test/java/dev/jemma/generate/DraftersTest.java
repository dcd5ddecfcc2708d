package dev.jemma.generate;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.*;

/** Prompt lookup's matching and the draft budget's rules, without a model. */
class DraftersTest {
    private static int[] draft(PromptLookup p, int max) {
        int[] out = new int[max + 2];
        int k = p.draft(out, 1, max);
        return java.util.Arrays.copyOfRange(out, 1, 1 + k);
    }

    @Test
    void promptLookupProposesWhatFollowedTheMostRecentMatch() {
        PromptLookup p = new PromptLookup(3);
        p.start(new int[] {1, 2, 3, 4, 5, 9, 2, 3, 4, 6, 7, 8});
        p.accept(2);
        p.accept(3);
        p.accept(4); // "2 3 4" last seen followed by 6 7 8
        assertArrayEquals(new int[] {6, 7, 8, 2}, draft(p, 4));
        assertArrayEquals(new int[] {6, 7}, draft(p, 2));
    }

    @Test
    void promptLookupFallsBackToShorterNgramsButNotToSingleTokens() {
        PromptLookup p = new PromptLookup(3);
        p.start(new int[] {5, 6, 7, 1, 6, 7});
        p.accept(8); // "6 7 8", "7 8" never seen; "8" alone is not enough
        assertEquals(0, draft(p, 4).length);
        p.accept(1);
        p.accept(6); // "1 6" seen at 3..4, followed by 7 8 1 6
        assertArrayEquals(new int[] {7, 8, 1}, draft(p, 3));
        PromptLookup ones = new PromptLookup(1);
        ones.start(new int[] {4, 9, 4});
        assertArrayEquals(new int[] {9, 4}, draft(ones, 5));
    }

    @Test
    void promptLookupRefusesANonsenseLength() {
        assertThrows(IllegalArgumentException.class, () -> new PromptLookup(0));
        assertThrows(IllegalArgumentException.class, () -> Speculation.promptLookup(2, 0));
        assertThrows(IllegalArgumentException.class, () -> new Speculation(0, null, 4, 0.5f));
    }

    @Test
    void theBudgetGrowsWhileDraftsAreKeptAndPassesHavePowerOfTwoRows() {
        DraftBudget b = new DraftBudget(16);
        assertEquals(3, b.limit());
        assertEquals(3, b.take(8));
        assertEquals(1, b.take(2)); // 3 rows → 2
        b.verified(3, 3);
        assertEquals(7, b.limit());
        assertEquals(3, b.take(6)); // 7 rows → 4
        b.verified(7, 7);
        assertEquals(15, b.limit());
        b.verified(15, 5); // a rejection with most drafts kept so far (15 of 25): back to three
        assertEquals(3, b.limit());
        b.verified(3, 0); // 15 of 28
        assertEquals(3, b.limit());
        b.verified(7, 0); // 15 of 35: fewer than half kept, back to one
        assertEquals(1, b.limit());
        b.verified(1, 0);
        assertEquals(1, b.limit());
        b.verified(7, 4); // three or more kept in the pass
        assertEquals(3, b.limit());
        assertEquals(0, b.take(0));
    }
}
