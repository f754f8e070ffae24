// Package contacts reads a contact list: a CSV file of any size, one row at a time, in
// whatever dialect Excel or another tool wrote it (the delimiter and the encoding are found,
// or named: [LoadOptions]), with each row's phone number normalised to E.164 and checked for a
// possible length ([PhoneNormalizer]), its identity across runs ([Row.Key]) and the user_data
// its call carries ([Loader.UserData]). A problem with the file as a whole is an
// [*InputError]; a problem with one row is that row's [Row.Problem].
//
// A new column with a meaning of its own (like the time zone or caller id columns) is a field
// of LoadOptions and of Row, found in the header by NewLoader.
package contacts
