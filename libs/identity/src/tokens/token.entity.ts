import { Column, Entity, Index, PrimaryColumn } from 'typeorm';

/** An issued token, kept only as the SHA-256 of its value. Access and refresh tokens issued together share a pair id. */
@Entity({ name: 'tokens' })
@Index(['pairId'])
@Index(['familyId'])
export class Token {
  /** Hex SHA-256 of the token. */
  @PrimaryColumn({ type: 'varchar', length: 64 })
  hash!: string;

  @Column({ type: 'varchar', length: 10 })
  kind!: 'access' | 'refresh';

  @Column({ name: 'pair_id', type: 'varchar', length: 40 })
  pairId!: string;

  /** The pair of the login this token descends from through refreshes. */
  @Column({ name: 'family_id', type: 'varchar', length: 40 })
  familyId!: string;

  @Column({ name: 'user_id', type: 'varchar', length: 64 })
  userId!: string;

  @Column({ name: 'client_id', type: 'varchar', length: 64 })
  clientId!: string;

  @Column({ name: 'expires_at', type: 'varchar', length: 30 })
  expiresAt!: string;

  @Column({ name: 'revoked_at', type: 'varchar', length: 30, nullable: true })
  revokedAt!: string | null;

  /** Set when a refresh token is exchanged: refresh tokens are single-use. */
  @Column({ name: 'used_at', type: 'varchar', length: 30, nullable: true })
  usedAt!: string | null;

  @Column({ name: 'created_at', type: 'varchar', length: 30 })
  createdAt!: string;
}
