# monitors/: one image per monitor role, each linking the shared kernel libraries.
MONITORS += process memory storage
process_KSRCS := $(wildcard monitors/process/*.c)
memory_KSRCS  := $(wildcard monitors/memory/*.c)
storage_KSRCS := $(wildcard monitors/storage/*.c) $(wildcard monitors/storage/ext2/*.c)
