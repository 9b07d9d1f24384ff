/* fixture.h: DynamoDB answers shared by unit tests. */
#ifndef FIXTURE_H
#define FIXTURE_H

/*
 * DescribeTable of table "src" (account 111122223333, us-east-1) with every
 * part a copy needs: HASH pk (S), RANGE sk (N); GSIs by_email (INCLUDE
 * name, age; 2/1 RCU/WCU) and by_ts (ts, pk; KEYS_ONLY; 4/5); LSI by_lsk
 * (pk, lsk; ALL); 7/3 RCU/WCU; class STANDARD_INFREQUENT_ACCESS; KMS key
 * .../key/k1; deletion protection; a NEW_AND_OLD_IMAGES stream.
 */
extern const char fixture_table_json[];

#endif
