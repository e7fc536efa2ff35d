import { Column, Entity, Index, PrimaryColumn } from 'typeorm';

/** One password login, kept for the rate limits (per user and per client address). */
@Entity({ name: 'login_attempts' })
@Index(['email', 'at'])
@Index(['address', 'at'])
export class LoginAttempt {
  @PrimaryColumn({ type: 'varchar', length: 40 })
  id!: string;

  @Column({ type: 'varchar', length: 254 })
  email!: string;

  @Column({ type: 'varchar', length: 64 })
  address!: string;

  @Column({ type: 'boolean' })
  succeeded!: boolean;

  @Column({ type: 'varchar', length: 30 })
  at!: string;
}
