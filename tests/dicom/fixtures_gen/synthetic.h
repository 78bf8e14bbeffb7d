/*
 * synthetic.h — layout of the synthetic DICOM images that make_synthetic
 * writes, shared with the tests that check decoded grey levels.
 * No real patient data: the patient fields are fixed fake strings that the
 * tests grep for to prove they never leak.
 */
#ifndef VLM_TEST_DICOM_SYNTHETIC_H
#define VLM_TEST_DICOM_SYNTHETIC_H

#define SYN_PATIENT_NAME "TESTPATIENT^SECRET"
#define SYN_PATIENT_ID   "SECRETID4242"
#define SYN_BIRTH_DATE   "19010203"

#define SYN_CT_SIZE      64 /* CT: 64x64, 3 instances in one series */
#define SYN_CT_INSTANCES 3
/* CT regions in HU; everything else is air (-1000). */
#define SYN_HU_AIR  (-1000)
#define SYN_HU_SOFT 40     /* rows 16..47, cols 8..55 */
#define SYN_HU_LUNG (-850) /* rows 20..43, cols 12..27 (inside soft) */
#define SYN_HU_BONE 700    /* rows 28..35, cols 40..47 (inside soft) */
/* Sample points (row, col) inside each region. */
#define SYN_PT_AIR  4, 4
#define SYN_PT_SOFT 18, 34
#define SYN_PT_LUNG 30, 20
#define SYN_PT_BONE 31, 43
/* Stored windows in every CT: lung first, mediastinum second. */
#define SYN_CT_STORED_C (-600)
#define SYN_CT_STORED_W 1500

#define SYN_CR_SIZE     48  /* CR secondary capture, 8-bit */
#define SYN_CR_BG       20  /* background */
#define SYN_CR_BOX      170 /* rows 8..39, cols 8..39 */
#define SYN_PT_CR_BG    2, 2
#define SYN_PT_CR_BOX   20, 20

#endif
