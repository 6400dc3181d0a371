/*
 * ext2_fmt.h - the on-disk format of ext2: superblock, group descriptor,
 * inode and directory entry layouts and the feature bits this library knows.
 * All fields are little-endian; like the rest of Tessera this assumes an
 * x86-64 (little-endian) machine and reads them directly.
 */
#ifndef MONITORS_STORAGE_EXT2_EXT2_FMT_H
#define MONITORS_STORAGE_EXT2_EXT2_FMT_H

#include <stdint.h>

#define EXT2_SUPER_MAGIC 0xEF53u
#define EXT2_SUPER_OFFSET 1024u /* bytes from the start of the device */
#define EXT2_SUPER_SIZE 1024u
#define EXT2_GOOD_OLD_REV 0u
#define EXT2_DYNAMIC_REV 1u
#define EXT2_GOOD_OLD_INODE_SIZE 128u
#define EXT2_GOOD_OLD_FIRST_INO 11u
#define EXT2_MIN_LOG_BLOCK 10u
#define EXT2_MAX_LOG_BLOCK 12u  /* 4 KiB: the largest block size we mount */

#define EXT2_VALID_FS 0x1u
#define EXT2_ERROR_FS 0x2u

/* Compatible features: safe to ignore. */
#define EXT2_FEATURE_COMPAT_DIR_INDEX 0x0020u
/* Read-only compatible features we implement. */
#define EXT2_FEATURE_RO_COMPAT_SPARSE_SUPER 0x0001u
#define EXT2_FEATURE_RO_COMPAT_LARGE_FILE 0x0002u
#define EXT2_FEATURE_RO_COMPAT_BTREE_DIR 0x0004u
#define EXT2_RO_COMPAT_SUPPORTED (EXT2_FEATURE_RO_COMPAT_SPARSE_SUPER | \
	EXT2_FEATURE_RO_COMPAT_LARGE_FILE | EXT2_FEATURE_RO_COMPAT_BTREE_DIR)
/* Incompatible features we implement. */
#define EXT2_FEATURE_INCOMPAT_FILETYPE 0x0002u
#define EXT2_INCOMPAT_SUPPORTED EXT2_FEATURE_INCOMPAT_FILETYPE

struct ext2_super {
	uint32_t s_inodes_count;
	uint32_t s_blocks_count;
	uint32_t s_r_blocks_count;
	uint32_t s_free_blocks_count;
	uint32_t s_free_inodes_count;
	uint32_t s_first_data_block;
	uint32_t s_log_block_size;
	uint32_t s_log_frag_size;
	uint32_t s_blocks_per_group;
	uint32_t s_frags_per_group;
	uint32_t s_inodes_per_group;
	uint32_t s_mtime;
	uint32_t s_wtime;
	uint16_t s_mnt_count;
	int16_t s_max_mnt_count;
	uint16_t s_magic;
	uint16_t s_state;
	uint16_t s_errors;
	uint16_t s_minor_rev_level;
	uint32_t s_lastcheck;
	uint32_t s_checkinterval;
	uint32_t s_creator_os;
	uint32_t s_rev_level;
	uint16_t s_def_resuid;
	uint16_t s_def_resgid;
	/* EXT2_DYNAMIC_REV only */
	uint32_t s_first_ino;
	uint16_t s_inode_size;
	uint16_t s_block_group_nr;
	uint32_t s_feature_compat;
	uint32_t s_feature_incompat;
	uint32_t s_feature_ro_compat;
	uint8_t s_uuid[16];
	char s_volume_name[16];
	char s_last_mounted[64];
	uint32_t s_algorithm_usage_bitmap;
	uint8_t s_prealloc_blocks;
	uint8_t s_prealloc_dir_blocks;
	uint16_t s_reserved_gdt_blocks;
	uint8_t s_rest[1024 - 208];
};
_Static_assert(sizeof(struct ext2_super) == EXT2_SUPER_SIZE, "superblock size");

struct ext2_group_desc {
	uint32_t bg_block_bitmap;
	uint32_t bg_inode_bitmap;
	uint32_t bg_inode_table;
	uint16_t bg_free_blocks_count;
	uint16_t bg_free_inodes_count;
	uint16_t bg_used_dirs_count;
	uint16_t bg_flags;
	uint32_t bg_reserved[3];
};
_Static_assert(sizeof(struct ext2_group_desc) == 32, "group descriptor size");

#define EXT2_NDIR_BLOCKS 12u
#define EXT2_IND_BLOCK 12u
#define EXT2_DIND_BLOCK 13u
#define EXT2_TIND_BLOCK 14u
#define EXT2_N_BLOCKS 15u

/* The first 128 bytes of every inode; larger inodes keep their tail untouched. */
struct ext2_inode {
	uint16_t i_mode;
	uint16_t i_uid;
	uint32_t i_size;
	uint32_t i_atime;
	uint32_t i_ctime;
	uint32_t i_mtime;
	uint32_t i_dtime;
	uint16_t i_gid;
	uint16_t i_links_count;
	uint32_t i_blocks;      /* 512-byte units */
	uint32_t i_flags;
	uint32_t i_version;
	uint32_t i_block[EXT2_N_BLOCKS];
	uint32_t i_generation;
	uint32_t i_file_acl;
	uint32_t i_size_high;   /* i_dir_acl for directories */
	uint32_t i_faddr;
	uint16_t i_blocks_hi;
	uint16_t i_file_acl_high;
	uint16_t i_uid_high;
	uint16_t i_gid_high;
	uint16_t i_checksum_lo;
	uint16_t i_reserved;
};
_Static_assert(sizeof(struct ext2_inode) == EXT2_GOOD_OLD_INODE_SIZE, "inode size");

/* The first fields of a large inode's tail. */
#define EXT2_INODE_EXTRA_ISIZE 32u

/* i_flags bits that change how the inode must be read. */
#define EXT2_IMMUTABLE_FL 0x00000010u
#define EXT2_APPEND_FL 0x00000020u
#define EXT2_INDEX_FL 0x00001000u      /* hashed directory index */
#define EXT2_EXTENTS_FL 0x00080000u    /* ext4 extents: not ours */
#define EXT2_INLINE_DATA_FL 0x10000000u

/* Extended-attribute block header (only its refcount matters to us). */
#define EXT2_XATTR_MAGIC 0xEA020000u

/* Directory entry header; the name follows. */
struct ext2_dirent {
	uint32_t inode;
	uint16_t rec_len;
	uint8_t name_len;
	uint8_t file_type; /* high byte of name_len without FILETYPE */
};
#define EXT2_DIRENT_HDR 8u
#define EXT2_DIR_REC_LEN(n) ((EXT2_DIRENT_HDR + (uint32_t)(n) + 3u) & ~3u)
#define EXT2_DIR_MIN_REC 12u

enum ext2_ftype {
	EXT2_FT_UNKNOWN = 0, EXT2_FT_REG_FILE = 1, EXT2_FT_DIR = 2,
	EXT2_FT_CHRDEV = 3, EXT2_FT_BLKDEV = 4, EXT2_FT_FIFO = 5,
	EXT2_FT_SOCK = 6, EXT2_FT_SYMLINK = 7, EXT2_FT_MAX = 8
};

#endif
