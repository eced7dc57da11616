package storecopy

// FeedEntries is feedEntries, for the tests of package storecopy_test.
const FeedEntries = feedEntries
